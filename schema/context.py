"""What every resolver knows about the request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema.loaders import Loaders
from services.access import Principal
from services.messages import Language


@dataclass(slots=True)  # a live connection holds one for hours: no __dict__
class Context:
    principal: Principal | None
    language: Language
    request_id: str
    client_address: str | None
    #: Made per request; a WebSocket connection makes its own once it knows who is connected.
    loaders: Loaders = field(default_factory=lambda: Loaders(None))
    #: graphql-transport-ws: the connection_init payload.
    connection_params: dict[str, Any] | None = None
    #: The WebSocket connection, for subscriptions that end it on revocation.
    websocket: Any = None
    #: The process's live fan-out (api.app.Live: the pub/sub hub and the alert feed).
    live: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def viewer(self) -> Principal:
        """The signed-in principal, for a field the access module lets only signed-in people reach
        (``schema.common.guard``) or one that has checked who is asking."""
        assert self.principal is not None, "the access module admits only signed-in viewers here"
        return self.principal
