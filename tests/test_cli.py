"""The command line: serve (on embedded servers), migrate, create-admin, export-schema, keys."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.settings import ConfigurationError, Settings
from schema import schema
from services.seed.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
COEDU = [sys.executable, "-m", "api.cli"]


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PYTHONPATH"] = str(ROOT)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_export_schema_prints_the_committed_schema():
    result = subprocess.run([*COEDU, "export-schema"], capture_output=True, text=True, env=_env(), check=True,
                            cwd=ROOT)
    assert result.stdout == (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert result.stdout == schema.as_str() + "\n"


def test_production_refuses_to_start_without_real_keys(tmp_path):
    result = subprocess.run([*COEDU, "serve"], capture_output=True, text=True, cwd=tmp_path, check=False,
                            env=_env(COEDU_ENV="production", COEDU_TRUSTED_DOCUMENTS=str(tmp_path)))
    assert result.returncode == 2
    assert "COEDU_SIGNING_KEY_FILE" in result.stderr and "coedu generate-keys" in result.stderr


def test_production_takes_keys_from_the_environment(tmp_path):
    keys = subprocess.run([*COEDU, "generate-keys"], capture_output=True, text=True, check=True, env=_env()).stdout
    pem = keys[keys.index("-----BEGIN"):keys.index("-----END PRIVATE KEY-----") + 25]
    (tmp_path / "signing.pem").write_text(pem)
    values = dict(line.split("=", 1) for line in keys.splitlines() if line.startswith("COEDU_"))
    settings = Settings.from_env({
        "COEDU_ENV": "production", "COEDU_TRUSTED_DOCUMENTS": str(tmp_path),
        "COEDU_SIGNING_KEY_FILE": str(tmp_path / "signing.pem"), **values,
    })
    assert settings.is_production and settings.keys is not None
    with pytest.raises(ConfigurationError, match="32 bytes"):
        Settings.from_env({"COEDU_ENV": "production", "COEDU_TRUSTED_DOCUMENTS": str(tmp_path),
                           "COEDU_SIGNING_KEY_FILE": str(tmp_path / "signing.pem"),
                           "COEDU_ENCRYPTION_KEYS": "k1:c2hvcnQ=", "COEDU_INDEX_KEY": values["COEDU_INDEX_KEY"]})
    with pytest.raises(ConfigurationError, match="COEDU_TRUSTED_DOCUMENTS"):
        Settings.from_env({"COEDU_ENV": "production"})
    with pytest.raises(ConfigurationError, match="fast"):
        Settings.from_env({"COEDU_PASSWORD_HASHING": "fast", "COEDU_ENV": "production",
                           "COEDU_TRUSTED_DOCUMENTS": str(tmp_path)})


def test_development_keys_are_made_once_and_kept(tmp_path):
    first = Settings.from_env({"COEDU_DATA_DIR": str(tmp_path)})
    second = Settings.from_env({"COEDU_DATA_DIR": str(tmp_path)})
    assert first.keys.index_key == second.keys.index_key
    assert first.keys.encryption_keys == second.keys.encryption_keys
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600


def test_migrate_applies_the_migrations(database):
    result = subprocess.run([*COEDU, "migrate"], capture_output=True, text=True, check=False,
                            env=_env(DATABASE_URL=database, REDIS_URL="unix:///nonexistent"))
    assert result.returncode == 0, result.stderr
    assert "migrations applied" in result.stdout


LOGIN = """mutation Login($phone: String!, $password: String!) {
  login(input: {phone: $phone, password: $password}) { session { accessToken } userErrors { code } } }"""


def test_a_fresh_data_directory_serves_with_embedded_servers(tmp_path):
    # given: nothing but a data directory; the first city administrator made from the command line
    env = _env(COEDU_DATA_DIR=str(tmp_path / "data"))
    admin = subprocess.run([*COEDU, "create-admin", "--phone", "13812345678", "--name", "市教育局管理员"],
                           input="Admin-pass-2026\n", capture_output=True, text=True, env=env, check=False,
                           cwd=tmp_path, timeout=120)
    assert admin.returncode == 0, admin.stderr
    assert "city administrator created" in admin.stdout
    # when: the server starts on the same data directory
    port = _free_port()
    server = subprocess.Popen([*COEDU, "serve", "--demo", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not become ready"
            time.sleep(0.2)
        # then: the administrator signs in; a wrong password is refused
        wrong = httpx.post(f"http://127.0.0.1:{port}/graphql", json={
            "query": LOGIN, "variables": {"phone": "13812345678", "password": "Wrong-pass-2026"}}).json()
        assert wrong["data"]["login"]["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]
        body = httpx.post(f"http://127.0.0.1:{port}/graphql", json={
            "query": LOGIN, "variables": {"phone": "13812345678", "password": "Admin-pass-2026"}}).json()
        token = body["data"]["login"]["session"]["accessToken"]
        viewer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ viewer { roles { role } } }"},
                            headers={"authorization": f"Bearer {token}"}).json()
        assert viewer["data"]["viewer"]["roles"] == [{"role": "CITY_ADMIN"}]
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=60)
    # --demo loaded the demo on this first run and printed its accounts, which sign in
    parent = re.search(r"^\s+(1\d{10})\s+\S+\s+家长", stdout, re.M)
    assert parent is not None, stdout
    assert f"password for all: {DEMO_PASSWORD}" in stdout
    # and: it stopped cleanly, with the embedded PostgreSQL
    assert server.returncode == 0, stderr[-2000:]
    assert not (tmp_path / "data" / "postgres" / "postmaster.pid").exists()
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(line["msg"] == "request" and line["path"] == "/graphql" for line in lines)
    for secret in ("13812345678", "Admin-pass-2026", "Wrong-pass-2026", token, "5678"):
        assert secret not in stderr, f"{secret!r} leaked into the log"


async def test_the_worker_runs_due_jobs_and_stops_cleanly(database, backing):
    import asyncpg

    connection = await asyncpg.connect(database.replace("postgres://", "postgresql://", 1))
    try:
        # a due push delivery whose notification no longer exists: the handler has nothing to send
        await connection.execute("INSERT INTO scheduled_job (kind, subject_id, due_at, attempts) "
                                 "VALUES ('push', gen_random_uuid(), now(), 0)")
        worker = subprocess.Popen([*COEDU, "worker"], env=_env(  # noqa: ASYNC220 - the process under test
            DATABASE_URL=database, REDIS_URL=backing.redis_url,
                                                               COEDU_REDIS_PREFIX="worker-test:"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while (await connection.fetchval("SELECT count(*) FROM scheduled_job WHERE done_at IS NULL")) > 0:
                assert time.monotonic() < deadline and worker.poll() is None, "the worker did not run the job"
                await asyncio.sleep(0.1)
            done_by = await connection.fetchval("SELECT done_by FROM scheduled_job")
            assert done_by.endswith(f":{worker.pid}")
        finally:
            worker.send_signal(signal.SIGTERM)
            _, stderr = worker.communicate(timeout=30)
        assert worker.returncode == 0, stderr[-2000:]
    finally:
        await connection.close()
