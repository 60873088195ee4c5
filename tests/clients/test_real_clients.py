"""The apps' real client libraries against a production-mode `coedu serve`.

Apollo Client 4 (persisted queries from a manifest, and automatic ones),
urql 6 with its defaults, graphql-ws 6 for the live feed, and Python's gql:
the packages pinned in tests/clients/package-lock.json, installed with
`npm ci` on first use. The server is a real process in production mode
(trusted documents: the project's operations and an Apollo manifest built
from them by `coedu persisted-documents`), with 5-second access tokens so
that the feed is seen across an expiry.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from gql import Client, gql
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from tests.helpers import CLIENTS, PASSWORD, contract_operation
from tests.processes import ServerProcess
from tests.wellbeing.helpers import raise_alert

HERE = Path(__file__).resolve().parent
ACCESS_TOKEN_SECONDS = 5


@pytest.fixture(scope="session")
def node_packages() -> Path:
    """tests/clients/node_modules, as the lockfile pins it."""
    npm = shutil.which("npm")
    assert npm is not None and shutil.which("node") is not None, "Node.js >= 20 and npm are needed"
    marker = HERE / "node_modules" / ".package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < (HERE / "package-lock.json").stat().st_mtime:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True,
                       timeout=600)
    return HERE / "node_modules"


def _manifest(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    made = subprocess.run([sys.executable, "-m", "api.cli", "persisted-documents", "--format", "apollo",
                           "--operations", str(CLIENTS / "operations")],
                          capture_output=True, text=True, check=True, timeout=60)
    path = folder / "apollo-manifest.json"
    path.write_text(made.stdout, encoding="utf-8")
    return path


class Production:
    """`coedu serve` in production mode, restartable on the same port."""

    def __init__(self, settings, tmp_path: Path) -> None:
        self.settings, self.tmp_path = settings, tmp_path
        self.manifest = _manifest(tmp_path / "trusted")
        self.env = {
            "COEDU_ENV": "production", "COEDU_PASSWORD_HASHING": "standard",
            "COEDU_TRUSTED_DOCUMENTS": f"{CLIENTS / 'operations'},{self.manifest.parent}",
            "COEDU_ACCESS_TOKEN_SECONDS": str(ACCESS_TOKEN_SECONDS),
        }
        self.process: ServerProcess | None = None
        self.runs = 0

    async def start(self) -> Production:
        port = self.process.port if self.process else None
        self.runs += 1
        self.process = ServerProcess(self.settings, self.tmp_path, f"production-{self.runs}", extra_env=self.env,
                                     port=port)
        await self.process.ready(60)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    @property
    def http(self) -> str:
        return f"http://{self.process.address}/graphql"

    @property
    def ws(self) -> str:
        return f"ws://{self.process.address}/graphql"


@pytest.fixture
async def production(settings, tmp_path, server, node_packages):
    running = await Production(settings, tmp_path).start()
    yield running
    running.stop()


async def _node(script: str, *args: str) -> dict:
    process = await asyncio.create_subprocess_exec(
        "node", str(HERE / script), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_NO_WARNINGS": "1"})
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()[-3000:]
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_apollo_client_with_a_persisted_query_manifest(production, world):
    result = await _node("apollo.mjs", production.http, str(production.manifest), "manifest",
                         world["parent_a"].phone, PASSWORD)
    assert result["loginErrors"] == [] and result["viewer"] == "张妈妈"
    assert result["typename"] == "User" and result["children"] == ["张小明"] and result["sameAnswerTwice"]
    assert result["refreshErrors"] == ["INVALID_CREDENTIALS"]
    # every request named its document by the manifest's id alone, and every one was answered
    assert all(r["hasHash"] and not r["hasQuery"] and r["status"] == 200 for r in result["sent"]), result["sent"]


async def test_apollo_client_with_automatic_persisted_queries(production, world):
    result = await _node("apollo.mjs", production.http, str(production.manifest), "apq",
                         world["parent_a"].phone, PASSWORD)
    assert result["loginErrors"] == [] and result["children"] == ["张小明"]
    sent = result["sent"]
    # first a hash alone (not found), then hash and text; the second ParentHome is a hash alone, known now
    assert [(r["hasHash"], r["hasQuery"]) for r in sent[:2]] == [(True, False), (True, True)]
    assert (sent[-2]["hasHash"], sent[-2]["hasQuery"]) == (True, False)
    assert all(r["status"] == 200 for r in sent)


async def test_urql_with_its_defaults(production, world):
    result = await _node("urql.mjs", production.http, world["parent_a"].token)
    assert (result["viewer"], result["viewerError"], result["inboxError"], result["markError"]) == (
        "张妈妈", None, None, None)
    assert result["unread"] == 0
    assert [r["method"] for r in result["sent"]] == ["GET", "GET", "POST"]  # queries by GET, mutations by POST
    assert all(r["status"] == 200 for r in result["sent"])


async def test_python_gql_over_http_and_websocket(production, world):
    http = HTTPXAsyncTransport(url=production.http, headers={"authorization": f"Bearer {world['teacher_a'].token}"})
    async with Client(transport=http) as session:
        viewer = await session.execute(gql(contract_operation("account.graphql", "Viewer")))
    assert viewer["viewer"]["displayName"] == "王老师"
    ws = WebsocketsTransport(url=production.ws, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
                             init_payload={"authorization": f"Bearer {world['counsellor_a'].token}"})
    async with Client(transport=ws) as session:
        events = session.subscribe(gql(contract_operation("wellbeing.graphql", "AlertEvents")))
        first = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(base_url=production.http.removesuffix("/graphql")) as client:
            from tests.helpers import Api

            alert = await raise_alert(Api(client, production.process.address), world)
        event = await asyncio.wait_for(first, 10)
    assert (event["wellbeingAlertEvents"]["kind"], event["wellbeingAlertEvents"]["alert"]["id"]) == (
        "RAISED", alert["id"])


async def test_the_live_feed_lasts_across_token_expiry_and_a_server_restart(production, world, api):
    feed = await asyncio.create_subprocess_exec(
        "node", str(HERE / "feed.mjs"), production.ws, production.http, world["counsellor_a"].refresh_token,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    seen: list[dict] = []

    async def next_line(within: float = 20) -> dict:
        line = json.loads((await asyncio.wait_for(feed.stdout.readline(), within)).decode())
        seen.append(line)
        return line

    async def next_event(within: float = 20) -> dict:
        while "kind" not in (line := await next_line(within)):
            pass
        return line

    try:
        assert (await next_line())["state"] == "connected"
        await asyncio.sleep(0.3)
        raised = [await raise_alert(api, world, summary="班会课后情绪低落")]
        assert (await next_event())["alert"] == raised[0]["id"]
        # past the access token's life (and its leeway): the connection holds, events still come
        await asyncio.sleep(ACCESS_TOKEN_SECONDS + 11)
        raised.append(await raise_alert(api, world, summary="午休时独自哭泣"))
        assert (await next_event())["alert"] == raised[1]["id"]
        # the server restarts; an alert raised meanwhile (on another process) is replayed on resubscription
        production.stop()
        raised.append(await raise_alert(api, world, summary="放学后不愿回家"))
        await production.start()
        assert (await next_event(40))["alert"] == raised[2]["id"]
        raised.append(await raise_alert(api, world, summary="作业本上写了消极的话"))
        assert (await next_event())["alert"] == raised[3]["id"]
    finally:
        feed.stdin.close()
        try:
            await asyncio.wait_for(feed.wait(), 10)
        except TimeoutError:
            feed.kill()
    events = [line for line in seen if "kind" in line]
    assert [(e["kind"], e["alert"]) for e in events] == [("RAISED", a["id"]) for a in raised]  # none twice
    states = [line["state"] for line in seen if "state" in line]
    assert states.count("connected") == 2 and "failed" not in states and "error-payload" not in states
    closes = [line["code"] for line in seen if line.get("state") == "closed"]
    assert closes[0] == 1012, closes  # the restart (Service Restart): graphql-ws retries; then 1006 until it is back
