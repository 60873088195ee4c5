"""`coedu serve` in processes of their own, sharing a database, a Redis and keys (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization

from api.settings import Settings


def process_env(settings: Settings, tmp_path: Path, name: str, extra_env: dict[str, str] | None = None
                ) -> dict[str, str]:
    """The environment of a `coedu` process on the test's database, Redis and keys."""
    keys = settings.keys
    assert keys is not None
    key_file = tmp_path / f"{name}-signing.pem"
    key_file.write_bytes(keys.signing_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("COEDU_")}
    env.update({
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "DATABASE_URL": settings.database_url or "", "REDIS_URL": settings.redis_url or "",
        "COEDU_REDIS_PREFIX": settings.redis_prefix, "COEDU_DATA_DIR": str(tmp_path / name),
        "COEDU_SIGNING_KEY_FILE": str(key_file), "COEDU_PASSWORD_HASHING": "fast",
        "COEDU_ENCRYPTION_KEYS": ",".join(f"{k}:{base64.b64encode(v).decode()}"
                                          for k, v in keys.encryption_keys.items()),
        "COEDU_INDEX_KEY": base64.b64encode(keys.index_key).decode(),
        "COEDU_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    })
    return env


class ServerProcess:
    """`coedu serve` in a process of its own, on the test's database, Redis and keys."""

    def __init__(self, settings: Settings, tmp_path: Path, name: str, command: list[str] | None = None,
                 extra_env: dict[str, str] | None = None, port: int | None = None) -> None:
        """``command``: another module to run the same way (``["-m", "bench.floor"]``); `coedu serve` by
        default. ``extra_env``: more of the environment (``COEDU_FAILPOINTS``, say)."""
        if port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.port = port  # given: a process that takes over from one stopped on this port
        env = process_env(settings, tmp_path, name, extra_env)
        self.process = subprocess.Popen(
            [sys.executable, *(command or ["-m", "api.cli", "serve"]), "--port", str(self.port)], env=env,
            stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{name}.log", "w"),  # noqa: SIM115
        )
        self.address = f"127.0.0.1:{self.port}"
        self.owner = f"{socket.gethostname()}:{self.process.pid}"

    async def ready(self, within: float = 30) -> ServerProcess:
        deadline = asyncio.get_running_loop().time() + within
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(f"http://{self.address}/readyz")).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if self.process.poll() is not None or asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"server process {self.address} did not start")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except Exception:  # noqa: BLE001 - a stuck test server is killed, whatever went wrong
                self.process.kill()
