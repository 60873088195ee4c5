"""A closed-loop HTTP load generator light enough not to be what is measured.

Each of ``concurrency`` keep-alive connections sends one prepared request, reads the whole
response and sends the next; latencies are recorded after a warm-up. It runs in a process of its
own on uvloop (pinned to a CPU of its own where there are two), with raw sockets rather than an
HTTP client library, so that a Python client's overhead does not flatten the ratios.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from dataclasses import dataclass

import uvloop


@dataclass(frozen=True)
class Target:
    address: str  # host:port
    path: str
    body: bytes
    headers: dict[str, str]

    def request(self) -> bytes:
        host = self.address
        lines = [f"POST {self.path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json",
                 f"Content-Length: {len(self.body)}", *(f"{k}: {v}" for k, v in self.headers.items()), "", ""]
        return "\r\n".join(lines).encode() + self.body


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    #: every response, the warm-up's too: what the server's CPU time over the whole run was spent on
    answered: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    if length:
        await reader.readexactly(length)
    return status


async def _run(target: Target, concurrency: int, warm_up: float, duration: float) -> Result:
    host, port = target.address.split(":")
    payload = target.request()
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0, "answered": 0}
    started = time.perf_counter()
    measure_from = started + warm_up
    stop_at = measure_from + duration

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while True:
                sent = time.perf_counter()
                if sent >= stop_at:
                    return
                writer.write(payload)
                status = await _read_response(reader)
                done = time.perf_counter()
                counts["answered"] += 1
                if sent >= measure_from:
                    if status == 200:
                        counts["ok"] += 1
                        latencies.append((done - sent) * 1000)
                    else:
                        counts["errors"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return Result(counts["ok"], counts["errors"], duration, latencies, counts["answered"])


def _process(target: Target, concurrency: int, warm_up: float, duration: float, cpu: int | None, out) -> None:
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    out.put(uvloop.run(_run(target, concurrency, warm_up, duration)))


def run(target: Target, *, concurrency: int, warm_up: float = 3.0, duration: float = 10.0,
        cpu: int | None = None) -> Result:
    """Load ``target`` from a process of its own; blocks until done."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=_process, args=(target, concurrency, warm_up, duration, cpu, out))
    process.start()
    result = out.get(timeout=warm_up + duration + 120)
    process.join(10)
    return result
