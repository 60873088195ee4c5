"""Live-feed latency: from raising an alert to its RAISED event at every subscriber.

Subscribers are spread evenly over two `coedu serve` processes and held by several client
processes (one Python process cannot read a thousand sockets without adding its own delay);
alerts are raised through the servers in turn. A delivery's latency is CLOCK_MONOTONIC (the
same in every process) from sending the raise to receiving the event.
Run:  .venv/bin/python -m bench.live_feed --subscribers 100 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time

import httpx
import orjson
import uvloop
import websockets

from bench.common import RESULTS, environment, summary
from services.enums import Role
from tests.helpers import Api, build_world, contract_operation, make_person

EVENTS = contract_operation("wellbeing.graphql", "AlertEvents")
RAISE = contract_operation("wellbeing.graphql", "RaiseWellbeingAlert")
WARM_UP = 3


async def _hold(addresses: list[str], tokens: list[str], ready, stop, results) -> None:
    received: dict[str, list[float]] = {}

    async def subscriber(address: str, token: str) -> None:
        async with websockets.connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"],
                                      open_timeout=120, max_size=2**20) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
            ready.put(1)
            async for raw in ws:
                arrived = time.perf_counter()
                event = orjson.loads(raw).get("payload", {}).get("data", {}).get("wellbeingAlertEvents")
                if event and event["kind"] == "RAISED":
                    received.setdefault(event["alert"]["id"], []).append(arrived)

    tasks = []
    for index, (address, token) in enumerate(zip(addresses, tokens, strict=True)):
        tasks.append(asyncio.create_task(subscriber(address, token)))
        if index % 25 == 24:
            await asyncio.sleep(0.05)  # do not stampede the handshakes
    await asyncio.to_thread(stop.get)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    results.put(received)


def _client(addresses: list[str], tokens: list[str], ready, stop, results) -> None:
    # uvloop, as the servers use: the clients' own overhead should not be what is measured.
    uvloop.run(_hold(addresses, tokens, ready, stop, results))


async def measure(count: int, alerts: int, servers: list, world, tokens: list[str], clients: int,
                  verbose: bool) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Queue(), context.Queue(), context.Queue()
    assignments = [(servers[i % len(servers)].address, tokens[i % len(tokens)]) for i in range(count)]
    workers = []
    for worker in range(clients):
        share = assignments[worker::clients]
        process = context.Process(target=_client, args=([a for a, _ in share], [t for _, t in share], ready, stop,
                                                        results))
        process.start()
        workers.append(process)
    for _ in range(count):
        await asyncio.to_thread(ready.get, True, 180)
    await asyncio.sleep(2)
    sent: dict[str, float] = {}
    http = [httpx.AsyncClient(base_url=f"http://{s.address}", timeout=30) for s in servers]
    try:
        for number in range(-WARM_UP, alerts):
            api = Api(http[number % len(http)], servers[number % len(servers)].address)
            started = time.perf_counter()
            body = await api.data(RAISE, {"input": {
                "studentId": world.gid(world.students["a"]), "severity": "LOW", "category": "OTHER",
                "source": "TEACHER_OBSERVATION", "summary": f"基准 {number}"}}, token=world["teacher_a"].token)
            if number >= 0:  # the first alerts only warm the servers up (pools, caches): not counted
                sent[body["raiseWellbeingAlert"]["alert"]["id"]] = started
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)
    finally:
        for client in http:
            await client.aclose()
    for _ in workers:
        stop.put(1)
    arrivals: dict[str, list[float]] = {}
    for _ in workers:
        for alert_id, times in (await asyncio.to_thread(results.get, True, 60)).items():
            arrivals.setdefault(alert_id, []).extend(times)
    for process in workers:
        process.join(10)
    latencies = [t - sent[a] for a, times in arrivals.items() if a in sent for t in times]
    if verbose:
        for alert_id, started in sorted(sent.items(), key=lambda item: item[1]):
            times = sorted(t - started for t in arrivals.get(alert_id, []))
            if times:
                print(f"alert at +{started - min(sent.values()):5.1f}s: first {times[0] * 1000:6.1f} ms, "  # noqa: T201
                      f"median {times[len(times) // 2] * 1000:6.1f} ms, last {times[-1] * 1000:6.1f} ms")
    result = {"subscribers": count, "deliveries": len(latencies), "lost": count * alerts - len(latencies)}
    return result | {k: v * 1000 for k, v in summary(latencies).items()}


async def main(counts: list[int], alerts: int, clients: int, verbose: bool) -> list[dict[str, float]]:
    async with environment() as env:
        world = await build_world()
        counsellors = [world["counsellor_a"]] + [
            await make_person(f"心理老师{i}", (Role.COUNSELLOR, {"school_id": world.school_a.id})) for i in range(9)]
        servers = [env.server("feed-a"), env.server("feed-b")]
        try:
            for server in servers:
                await server.ready()
            tokens = [c.token for c in counsellors]
            return [await measure(n, alerts, servers, world, tokens, clients, verbose) for n in counts]
        finally:
            for server in servers:
                server.stop()


def report(rows: list[dict[str, float]]) -> str:
    lines = ["| subscribers (2 server processes) | deliveries | lost | p50 ms | p90 ms | p95 ms | p99 ms | max ms |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['subscribers']:.0f} | {r['deliveries']:.0f} | {r['lost']:.0f} | {r['p50']:.1f} | "
                     f"{r['p90']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--verbose", action="store_true", help="print each alert's delivery times")
    args = parser.parse_args()
    table = report(asyncio.run(main(args.subscribers, args.alerts, args.client_processes, args.verbose)))
    print(table)  # noqa: T201 - the benchmark's output
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "live_feed.md").write_text(f"# Live-feed latency\n\n{table}\n", encoding="utf-8")
