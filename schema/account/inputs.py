"""Inputs of sign-in and session management."""

from __future__ import annotations

import strawberry


@strawberry.input(description="Password sign-in.")
class LoginInput:
    phone: str = strawberry.field(description="Mobile number the account was invited with.")
    password: str = strawberry.field(description="The password.")


@strawberry.input(description="First sign-in of an invited person.")
class ActivateAccountInput:
    phone: str = strawberry.field(description="Mobile number the invitation was made for.")
    invitation_code: str = strawberry.field(description="The invitation code.")
    password: str = strawberry.field(description="New password: 8 to 128 characters, two of letters, digits, symbols.")
    privacy_notice_version: str | None = strawberry.field(
        default=None, description="Version of the privacy notice the person read and accepts (see `privacyNotice`)."
    )


@strawberry.input(description="A refresh token to swap.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="The refresh token of the session.")


@strawberry.input(description="Which sessions to end.")
class LogoutInput:
    refresh_token: str = strawberry.field(description="The refresh token of this session.")
    all_devices: bool = strawberry.field(description="Also ends every other session of the user.")


@strawberry.input(description="A new password.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password now.")
    new_password: str = strawberry.field(description="The new password.")
