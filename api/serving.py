"""How the process listens: one uvicorn configuration for `coedu serve` and the tests."""

from __future__ import annotations

from typing import Any

import uvicorn

from api.settings import Settings


def uvicorn_config(app: Any, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    """Forwarded headers are believed only from COEDU_TRUSTED_PROXIES, and then the client is the
    right-most address in X-Forwarded-For that is not one of them: what a client writes into the
    header itself stays to the left and is never taken for its address."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        timeout_graceful_shutdown=20,
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,
    )
