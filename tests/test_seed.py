"""Sample data: `coedu seed demo` gives a newcomer accounts with something to see in every app; the
generator is reproducible from its seed number."""

from __future__ import annotations

import base64
import datetime as dt
import re
import subprocess
import uuid

from services.seed import DEMO
from services.seed.demo import DEMO_PASSWORD
from services.seed.generate import Generator
from tests.helpers import contract_operation
from tests.test_cli import COEDU, ROOT, _env

LOGIN = contract_operation("account.graphql", "Login")
PARENT_HOME = contract_operation("screens.graphql", "ParentHome")
DASHBOARD = contract_operation("screens.graphql", "ProgrammeDashboard")
QUEUE = contract_operation("wellbeing.graphql", "AlertQueue")
MY_CONSULTATIONS = contract_operation("family-education.graphql", "MyConsultations")


FAMILY_ADDRESSES = contract_operation("home-address.graphql", "FamilyHomeAddresses")
COLUMN = contract_operation("column.graphql", "ColumnEpisodes")
NOTICES = contract_operation("notices.graphql", "MyNotices")
WAITLIST = contract_operation("family-education-next.graphql", "MyCourseSessionWaitlists")
TEACHER_TRAINING = contract_operation("family-education-next.graphql", "MyTeacherTraining")
VISIT_ADDRESS = "query V($id: ID!) { node(id: $id) { ... on HomeVisit { address } } }"


def _seed_command(settings, tmp_path) -> subprocess.CompletedProcess:
    keys = settings.keys
    env = _env(DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url, COEDU_DATA_DIR=str(tmp_path),
               COEDU_ENCRYPTION_KEYS=",".join(f"{kid}:{base64.b64encode(key).decode()}"
                                              for kid, key in keys.encryption_keys.items()),
               COEDU_INDEX_KEY=base64.b64encode(keys.index_key).decode(), COEDU_PASSWORD_HASHING="fast")
    return subprocess.run([*COEDU, "seed", "demo"], capture_output=True, text=True, env=env, cwd=ROOT,
                          check=False, timeout=300)


async def test_the_demo_gives_every_role_an_account_with_something_to_see(api, settings, tmp_path):
    result = _seed_command(settings, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    accounts = {role: phone for phone, role in re.findall(r"^\s+(1\d{10})\s+\S+\s+(\S+)", result.stdout, re.M)}
    assert set(accounts) == {"市管理员", "区管理员", "校管理员", "班主任", "家长", "心理老师", "区心理中心",
                             "市心理中心", "指导师", "服务站"}

    async def sign_in(role: str) -> str:
        body = await api.data(LOGIN, {"phone": accounts[role], "password": DEMO_PASSWORD})
        return body["login"]["session"]["accessToken"]

    home = (await api.data(PARENT_HOME, token=await sign_in("家长")))["viewer"]
    visits = [v for child in home["children"] for v in child["homeVisits"]["nodes"]]
    assert [v["status"] for v in visits] == ["PROPOSED"] and len(visits[0]["proposedSlots"]) == 2
    assert home["enrollments"]["nodes"][0]["progressPercent"] > 0
    assert len(home["courseSessionRegistrations"]["nodes"]) == 1
    parent_token = await sign_in("家长")
    family = (await api.data(FAMILY_ADDRESSES, token=parent_token))["viewer"]
    assert family["homeAddress"]["sharedWithCoGuardians"] is True  # the household's, on file
    visit = (await api.data(VISIT_ADDRESS, {"id": visits[0]["id"]}, token=parent_token))["node"]
    assert visit["address"] == family["homeAddress"]["address"]  # the visit is at that home
    waiting = await api.data(WAITLIST, {"first": 5}, token=parent_token)
    assert [n["status"] for n in waiting["viewer"]["courseSessionWaitlist"]["nodes"]] == ["WAITING"]
    notices = await api.data(NOTICES, {"first": 5}, token=parent_token)
    assert notices["viewer"]["notices"]["totalCount"] >= 1  # the class's notice
    column = await api.data(COLUMN, {"first": 50}, token=parent_token)
    assert column["columnEpisodes"]["totalCount"] >= 6  # the city's and the district centre's
    training = (await api.data(TEACHER_TRAINING, {"first": 5}, token=await sign_in("班主任")))["viewer"]
    assert training["teacherTraining"]["coursesCompleted"] >= 1 and training["teacherTraining"]["creditHours"] > 0
    queue = await api.data(QUEUE, {"first": 10, "filter": {"status": ["OPEN"]}}, token=await sign_in("心理老师"))
    assert [e["node"]["summary"] for e in queue["wellbeingAlerts"]["edges"]] == ["近两周上课走神、情绪低落"]
    requested = await api.data(MY_CONSULTATIONS, {"first": 50}, token=await sign_in("指导师"))
    assert "REQUESTED" in {n["status"] for n in requested["consultations"]["nodes"]}
    year = dt.datetime.now(dt.UTC).year
    figures = (await api.data(DASHBOARD, {"year": year}, token=await sign_in("市管理员")))["programmeDashboard"]
    assert (figures["pilotSchools"]["actual"], figures["serviceStations"]["actual"]) == (10, 15)
    assert figures["certifiedInstructors"]["actual"] == 10 and len(figures["byDistrict"]) == 10

    again = _seed_command(settings, tmp_path)
    assert again.returncode == 2 and "already has schools" in again.stderr


class _Collector:
    """Stands in for the COPY loader: keeps the rows."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {}
        self.counts: dict[str, int] = {}

    def table(self, name, columns) -> None:
        self.rows[name] = []

    async def add(self, name, row) -> None:
        self.rows[name].append(row)

    async def close(self) -> None:
        self.counts = {name: len(rows) for name, rows in self.rows.items()}


async def _generate(seed: int) -> _Collector:
    districts = [(uuid.UUID(int=n + 1), code, f"区{n}")
                 for n, code in enumerate(["150203", "150204", "150202", "150207", "150205", "150206", "150221",
                                           "150222", "150223", "150271"])]
    collector = _Collector()
    now = dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC)
    await Generator(DEMO, seed, collector, now).run(districts)  # type: ignore[arg-type]
    return collector


def _visible(collector: _Collector) -> list:
    """What does not involve fresh randomness of the crypto (nonces): names, ids, times, structure."""
    return [[tuple(v for v in row if not isinstance(v, bytes)) for row in collector.rows[table]]
            for table in ("school", "student", "home_visit", "wellbeing_alert", "enrollment")]


async def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(api):
    first, again, other = await _generate(7), await _generate(7), await _generate(8)
    assert _visible(first) == _visible(again)
    assert _visible(first) != _visible(other)
    assert first.counts["student"] == DEMO.students and first.counts["school"] == DEMO.schools
    assert sum(1 for row in first.rows["school"] if row[3]) == DEMO.pilots  # is_family_education_pilot
