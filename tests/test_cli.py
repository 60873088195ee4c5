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
    # not a terminal: plain progress lines, no carriage returns filling the log
    assert re.search(r"^migrate: \d+ of \d+ migrations \(100 %\)", result.stderr, re.M) or \
        re.search(r"^migrate: 0 migrations", result.stderr, re.M), result.stderr
    assert "\r" not in result.stderr


def test_progress_draws_a_bar_on_a_terminal_and_plain_lines_elsewhere(monkeypatch):
    import io

    from services import progress

    plain = io.StringIO()
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0)
    bar = progress.Progress("reseal app_user.phone_sealed", 3, stream=plain)
    for _ in range(3):
        bar.advance()
    bar.close("done")
    lines = plain.getvalue().splitlines()
    assert lines[0].startswith("reseal app_user.phone_sealed: 1 of 3 rows (33 %), about ")
    assert lines[-2].startswith("reseal app_user.phone_sealed: 3 of 3 rows (100 %)") and lines[-1] == "done"
    assert "\r" not in plain.getvalue()

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = progress.Progress("seed city", 100, stream=terminal)
    bar.set(50)
    bar.close()
    assert "\r" in terminal.getvalue() and "50%" in terminal.getvalue()


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


async def test_reseal_moves_every_value_to_the_newest_key_and_a_second_run_finds_nothing(api, world, settings,
                                                                                       keys, tmp_path):
    import base64
    import secrets as token_secrets

    from tortoise import connections

    from services.crypto import Sealer
    from services.sealed import SEALED
    from tests.wellbeing.helpers import raise_alert, row_id

    alert = await raise_alert(api, world)  # a summary and details, sealed under the test key "t1"
    new_key = token_secrets.token_bytes(32)
    env = _env(DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url,
               COEDU_DATA_DIR=str(tmp_path / "data"),
               COEDU_ENCRYPTION_KEYS=f"t2:{base64.b64encode(new_key).decode()},"
                                     f"t1:{base64.b64encode(keys.encryption_keys['t1']).decode()}",
               COEDU_INDEX_KEY=base64.b64encode(keys.index_key).decode())
    first = await asyncio.to_thread(subprocess.run, [*COEDU, "reseal", "--batch", "7"], capture_output=True,
                                    text=True, env=env, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert "under key t2" in first.stdout and "resealed 0 values" not in first.stdout
    db = connections.get("default")
    for column in SEALED:
        rows = await db.execute_query_dict(
            f'SELECT count(*) AS n FROM "{column.table}" WHERE "{column.column}" IS NOT NULL AND '
            f'substring("{column.column}" from 3 for get_byte("{column.column}", 1)) <> $1', [b"t2"])
        assert rows[0]["n"] == 0, column
    # the old key can go: the values open with the new one alone, and still say what they said
    only_new = Sealer({"t2": new_key}, "t2")
    blob = (await db.execute_query_dict("SELECT summary_sealed FROM wellbeing_alert WHERE id = $1",
                                        [row_id(alert["id"])]))[0]["summary_sealed"]
    assert only_new.open(bytes(blob), table="wellbeing_alert", column="summary", row=row_id(alert["id"])) == \
        "上课时情绪低落，多次哭泣"
    phones = await db.execute_query_dict("SELECT id, phone_sealed FROM app_user WHERE id = $1",
                                         [world["parent_a"].user.id])
    assert only_new.open(bytes(phones[0]["phone_sealed"]), table="app_user", column="phone",
                         row=phones[0]["id"]) == world["parent_a"].phone
    again = await asyncio.to_thread(subprocess.run, [*COEDU, "reseal"], capture_output=True, text=True, env=env,
                                    timeout=120, check=False)
    assert again.returncode == 0 and "resealed 0 values" in again.stdout


def test_every_sealed_column_is_in_the_reseal_list():
    import importlib

    from tortoise import fields

    from services.db import MODEL_MODULES
    from services.sealed import SEALED

    listed = {(c.table, c.column) for c in SEALED}
    found = set()
    for module in MODEL_MODULES:
        for value in vars(importlib.import_module(module)).values():
            meta = getattr(value, "_meta", None)
            if meta is None or getattr(meta, "abstract", False) or not hasattr(meta, "fields_map"):
                continue
            for name, field in meta.fields_map.items():
                if isinstance(field, fields.BinaryField) and name.endswith("_sealed"):
                    found.add((meta.db_table, name))
    assert found == listed
