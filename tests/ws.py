"""A graphql-transport-ws client, as the apps speak it."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed


class WsClient:
    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._ids = itertools.count(1)
        self.closed_code: int | None = None

    @classmethod
    async def connect(cls, address: str, token: str) -> WsClient:
        connection = await websockets.connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"],
                                              open_timeout=5, max_size=2**22)
        client = cls(connection)
        await connection.send(json.dumps({"type": "connection_init",
                                          "payload": {"authorization": f"Bearer {token}"}}))
        reply = json.loads(await asyncio.wait_for(connection.recv(), 5))
        assert reply == {"type": "connection_ack"}, reply
        return client

    async def subscribe(self, query: str, variables: dict | None = None) -> str:
        operation_id = str(next(self._ids))
        await self.connection.send(json.dumps({"id": operation_id, "type": "subscribe",
                                               "payload": {"query": query, "variables": variables or {}}}))
        return operation_id

    async def receive(self, within: float = 5) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.connection.recv(), within))
            if message["type"] == "ping":
                await self.connection.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def next_data(self, within: float = 5) -> dict[str, Any]:
        message = await self.receive(within)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]

    async def nothing_within(self, seconds: float) -> None:
        try:
            message = await self.receive(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {message}")

    async def closed(self, within: float = 5) -> int:
        async def drain() -> None:
            while True:
                await self.connection.recv()

        try:
            await asyncio.wait_for(drain(), within)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006
        raise AssertionError("still open")

    async def close(self) -> None:
        await self.connection.close()
