"""Sign-in, sessions and the signed-in user."""

from __future__ import annotations

import strawberry

from schema.account import inputs
from schema.account.types import PrivacyNotice, Session
from schema.common.errors import UserError
from schema.common.mutations import run, user_errors_field
from schema.context import Context
from schema.organisation.types import User
from services.identity import accounts, privacy, sessions
from services.identity.models import User as UserRow

Info = strawberry.Info[Context, None]


def _session(issued: sessions.IssuedSession) -> Session:
    return Session(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        access_token_expires_at=issued.access_token_expires_at,
    )


@strawberry.type(description="Result of `login`.")
class LoginPayload:
    session: Session | None = strawberry.field(default=None, description="Tokens of the new session.")
    viewer: User | None = strawberry.field(default=None, description="The signed-in person.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `activateAccount`.")
class ActivateAccountPayload:
    session: Session | None = strawberry.field(default=None, description="Tokens of the new session.")
    viewer: User | None = strawberry.field(default=None, description="The signed-in person.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `refreshSession`.")
class RefreshSessionPayload:
    session: Session | None = strawberry.field(default=None, description="The new token pair.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `logout`.")
class LogoutPayload:
    ok: bool = strawberry.field(default=False, description="Indicates the sessions ended.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of `changePassword`.")
class ChangePasswordPayload:
    ok: bool = strawberry.field(default=False, description="Indicates the password changed.")
    user_errors: list[UserError] = user_errors_field()


def _signed_in(info: Info, issued: sessions.IssuedSession, user: UserRow) -> tuple[Session, User]:
    # The payload's viewer fields resolve as the person who just signed in.
    from schema.loaders import Loaders
    from services.access import Principal

    info.context.principal = Principal(user.id, issued.session_id, user.display_name)
    info.context.loaders = Loaders(info.context.principal)
    return _session(issued), User.of(user)


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description=(
        "Password sign-in with the phone number the account was invited with. A wrong phone and a wrong "
        "password get the same INVALID_CREDENTIALS; repeated failures give RATE_LIMITED."
    ))
    async def login(self, info: Info, input: inputs.LoginInput) -> LoginPayload:
        async def action() -> LoginPayload:
            issued, user = await accounts.login(input.phone, input.password, info.context.client_address)
            session, viewer = _signed_in(info, issued, user)
            return LoginPayload(session=session, viewer=viewer)

        return await run(info, LoginPayload, action)

    @strawberry.mutation(description=(
        "First sign-in of an invited person with the invitation code and a new password; a code works once "
        "and expires after 14 days. Guardians accept the privacy notice by activating."
    ))
    async def activate_account(self, info: Info, input: inputs.ActivateAccountInput) -> ActivateAccountPayload:
        async def action() -> ActivateAccountPayload:
            issued, user = await accounts.activate(
                input.phone, input.invitation_code, input.password, info.context.client_address,
                input.privacy_notice_version,
            )
            session, viewer = _signed_in(info, issued, user)
            return ActivateAccountPayload(session=session, viewer=viewer)

        return await run(info, ActivateAccountPayload, action)

    @strawberry.mutation(description=(
        "Swap a refresh token for a new pair. A refresh token works once; presenting a spent one ends the "
        "whole sign-in."
    ))
    async def refresh_session(self, info: Info, input: inputs.RefreshSessionInput) -> RefreshSessionPayload:
        async def action() -> RefreshSessionPayload:
            return RefreshSessionPayload(session=_session(await sessions.refresh(input.refresh_token)))

        return await run(info, RefreshSessionPayload, action)

    @strawberry.mutation(description=(
        "End this session, or every session of the user; their access tokens stop working at once."
    ))
    async def logout(self, info: Info, input: inputs.LogoutInput) -> LogoutPayload:
        async def action() -> LogoutPayload:
            await accounts.logout(input.refresh_token, all_devices=input.all_devices)
            return LogoutPayload(ok=True)

        return await run(info, LogoutPayload, action)

    @strawberry.mutation(description="Change the password; every other session of the user ends at once.")
    async def change_password(self, info: Info, input: inputs.ChangePasswordInput) -> ChangePasswordPayload:
        async def action() -> ChangePasswordPayload:
            await accounts.change_password(info.context.viewer, input.current_password, input.new_password,
                                           info.context.client_address)
            return ChangePasswordPayload(ok=True)

        return await run(info, ChangePasswordPayload, action)


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in person.")
    def viewer(self, info: Info) -> User:
        principal = info.context.principal
        assert principal is not None  # the operation rule requires a signed-in viewer
        return User.of_viewer(principal)

    @strawberry.field(description="The current privacy notice, in the request's language.")
    def privacy_notice(self, info: Info) -> PrivacyNotice:
        return PrivacyNotice(version=privacy.CURRENT_VERSION, text=privacy.text(info.context.language))
