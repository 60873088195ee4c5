"""Sessions, invitations and the privacy notice."""

from __future__ import annotations

import datetime as dt

import strawberry

from services.identity.accounts import IssuedInvitation


@strawberry.type(description="Tokens of a sign-in. Send the access token as `Authorization: Bearer …`.")
class Session:
    access_token: str = strawberry.field(description="Short-lived access token (a JWT).")
    refresh_token: str = strawberry.field(description="Single-use token for `refreshSession`; keep it secret.")
    access_token_expires_at: dt.datetime = strawberry.field(description="Timestamp the access token expires at.")


@strawberry.type(description="An invitation to activate an account; deliver the code to the person.")
class Invitation:
    code: str = strawberry.field(description="Single-use activation code.")
    expires_at: dt.datetime = strawberry.field(description="Timestamp the code stops working.")

    @classmethod
    def of(cls, issued: IssuedInvitation | None) -> Invitation | None:
        return cls(code=issued.code, expires_at=issued.expires_at) if issued else None


@strawberry.type(description="The privacy notice guardians accept when they activate their account.")
class PrivacyNotice:
    version: str = strawberry.field(description="Version of the notice; send it back with `activateAccount`.")
    text: str = strawberry.field(description="The notice, in the request's language.")
