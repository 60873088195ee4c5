"""GraphQL over WebSocket: graphql-transport-ws only, authenticated in connection_init."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

PROTOCOL = "graphql-transport-ws"


async def _connect(api, *, origin: str | None = None, subprotocol: str = PROTOCOL):
    headers = {"Origin": origin} if origin else None
    return await websockets.connect(f"ws://{api.address}/graphql", subprotocols=[subprotocol],
                                    additional_headers=headers, open_timeout=5)


async def _closed_code(ws, within: float = 8) -> int:
    async def drain() -> None:
        while True:
            await ws.recv()

    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(drain(), within)
    return closed.value.rcvd.code


async def test_a_signed_in_client_is_acknowledged_and_can_query(api, world):
    ws = await _connect(api)
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"authorization": f"Bearer {world['teacher_a'].token}"}}))
    assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { displayName } }"}}))
    assert json.loads(await ws.recv()) == {"id": "1", "type": "next", "payload": {"data": {"viewer": {
        "displayName": "王老师"}}}}
    assert json.loads(await ws.recv()) == {"id": "1", "type": "complete"}
    await ws.close()


async def test_connection_init_without_a_valid_token_is_refused(api, world):
    for payload in ({}, {"authorization": "Bearer nonsense"}, {"authorization": world["teacher_a"].token}):
        ws = await _connect(api)
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert await _closed_code(ws) == 4403


async def test_a_signed_out_session_cannot_connect(api, world):
    logout = """mutation($t: String!) { logout(input: {refreshToken: $t, allDevices: false}) { ok } }"""
    await api.data(logout, {"t": world["teacher_a"].refresh_token})
    ws = await _connect(api)
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"authorization": f"Bearer {world['teacher_a'].token}"}}))
    assert await _closed_code(ws) == 4403


async def test_the_legacy_subprotocol_is_not_spoken(api, world):
    ws = await _connect(api, subprotocol="graphql-ws")
    assert await _closed_code(ws) == 4406


async def test_a_silent_client_is_dropped_after_the_init_timeout(api, world):
    ws = await _connect(api)
    assert await _closed_code(ws, within=8) == 4408


async def test_browsers_on_foreign_origins_are_refused(api, world):
    with pytest.raises(InvalidStatus) as refused:
        await _connect(api, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    same_origin = await _connect(api, origin=f"http://{api.address}")
    await same_origin.close()
