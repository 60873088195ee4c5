"""Imports started from the administrators' console over GraphQL: a file of the roster folder,
checked, then imported a school per job by the server's roster lane; watched through the node."""

from __future__ import annotations

import asyncio
import stat
import time

from services.roster import files, jobs
from tests.helpers import make_person
from tests.roster.helpers import count, rows, write_rows

START = """mutation Start($input: StartRosterImportInput!) {
  startRosterImport(input: $input) { rosterImport { id status } userErrors { code field message } } }"""
WATCH = """query Watch($id: ID!) { node(id: $id) { ... on RosterImport {
  id status dryRun schoolsTotal schoolsDone problemCount refusedSchools invitationReport
  changes { studentsUpdated guardiansLinked guardiansInvited schoolsCreated }
  problems(first: 10) { file row column code message } } } }"""
LIST = "query { rosterImports { id status } }"


async def _start(api, token, **given):
    body = await api.data(START, {"input": given}, token=token)
    return body["startRosterImport"]


async def _finished(api, token, import_id, *, within=30.0):
    deadline = asyncio.get_running_loop().time() + within
    while True:
        node = (await api.data(WATCH, {"id": import_id}, token=token))["node"]
        if node["status"] in ("COMPLETED", "REFUSED"):
            return node
        assert asyncio.get_running_loop().time() < deadline, node
        await asyncio.sleep(0.2)


async def test_an_import_from_the_console_is_checked_then_imported_school_by_school(api, world, coedu, settings):
    folder = settings.data_dir / "roster"
    await coedu("roster", "export", str(folder / "world"))
    users = rows(folder / "world" / "users.csv")
    student_a = next(r for r in users if r["sourcedId"] == str(world.students["a"].id))
    student_a["givenName"] = "小明明"
    student_a["agentSourcedIds"] += ",new-parent"
    users.append({**dict.fromkeys(student_a, ""), "sourcedId": "new-parent", "givenName": "爸爸", "familyName": "张",
                  "phone": "13800007777", "enabledUser": "true"})
    write_rows(folder / "world" / "users.csv", users)
    roles = rows(folder / "world" / "roles.csv")
    write_rows(folder / "world" / "roles.csv", [*roles, {**roles[0], "sourcedId": "new-parent:role",
                                                         "userSourcedId": "new-parent", "role": "guardian"}])
    city = world["city_admin"].token

    dry = await _start(api, city, file="world", dryRun=True)
    assert dry["userErrors"] == [] and dry["rosterImport"]["status"] == "QUEUED"
    planned = await _finished(api, city, dry["rosterImport"]["id"])
    assert planned["status"] == "COMPLETED" and planned["dryRun"]
    assert planned["changes"] == {"studentsUpdated": 1, "guardiansLinked": 1, "guardiansInvited": 1,
                                  "schoolsCreated": 0}
    assert await count(settings.database_url, "SELECT count(*) FROM student WHERE display_name = '张小明明'") == 0

    started = await _start(api, city, file="world")
    done = await _finished(api, city, started["rosterImport"]["id"])
    assert (done["status"], done["schoolsTotal"], done["schoolsDone"]) == ("COMPLETED", 3, 3)
    assert done["changes"]["studentsUpdated"] == 1 and done["changes"]["guardiansInvited"] == 1
    assert await count(settings.database_url, "SELECT count(*) FROM student WHERE display_name = '张小明明'") == 1
    report = folder / done["invitationReport"]
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert [r["phone"] for r in rows(report)] == ["13800007777"]
    # the codes' file is the operator's: another city administrator is not told where it is
    other_city = await make_person("另一位市管理员", ("CITY_ADMIN", {}))
    assert (await api.data(WATCH, {"id": done["id"]}, token=other_city.token))["node"]["invitationReport"] is None
    assert await count(settings.database_url, "SELECT count(*) FROM audit_event WHERE action = 'IMPORT'") == 1


async def test_a_district_administrator_imports_only_their_districts_schools(api, world, coedu, settings):
    folder = settings.data_dir / "roster"
    await coedu("roster", "export", str(folder / "world"))
    district_a = world["district_admin_a"].token
    refused = await _finished(api, district_a, (await _start(api, district_a, file="world"))["rosterImport"]["id"])
    assert refused["status"] == "REFUSED" and refused["schoolsDone"] == 0
    school_b = str(world.school_b.id)
    orgs_row = next(i for i, r in enumerate(rows(folder / "world" / "orgs.csv")) if r["sourcedId"] == school_b) + 2
    assert [(p["file"], p["row"], p["code"]) for p in refused["problems"]] == [
        ("orgs.csv", orgs_row, "ROSTER_SCHOOL_OUTSIDE_SCOPE")]
    assert refused["refusedSchools"] == [school_b]

    partial = await _finished(api, district_a, (await _start(
        api, district_a, file="world", validSchoolsOnly=True))["rosterImport"]["id"])
    assert (partial["status"], partial["schoolsDone"]) == ("COMPLETED", 2)
    # district B's administrator sees neither of them; the city's sees both
    district_b = world["district_admin_b"].token
    assert (await api.data(WATCH, {"id": partial["id"]}, token=district_b))["node"] is None
    assert (await api.data(LIST, token=district_b))["rosterImports"] == []
    assert {r["id"] for r in (await api.data(LIST, token=world["city_admin"].token))["rosterImports"]} == {
        refused["id"], partial["id"]}


async def test_only_files_of_the_roster_folder_can_be_imported(api, world, settings):
    (settings.data_dir / "secrets-elsewhere.csv").write_text("x")
    for name in ("../secrets-elsewhere.csv", "nope.zip", "", "/etc/passwd"):
        started = await _start(api, world["city_admin"].token, file=name)
        assert [e["code"] for e in started["userErrors"]] == ["NOT_FOUND"], name
    assert jobs.folder() == settings.data_dir / "roster"


async def test_files_are_read_beside_the_loop_and_outside_any_transaction(api, world, coedu, settings, monkeypatch):
    # A city's files take a minute to read and check: longer than a job's lease, and far longer
    # than the loop that runs the deadlines may stand still. Here reading takes READING seconds.
    reading, real_read = 2.0, files.read

    def slow_read(*args, **kwargs):
        time.sleep(reading)  # blocking, as parsing 250,000 rows is
        return real_read(*args, **kwargs)

    monkeypatch.setattr(files, "read", slow_read)
    folder = settings.data_dir / "roster"
    await coedu("roster", "export", str(folder / "world"))
    city = world["city_admin"].token
    started = await _start(api, city, file="world")
    loop = asyncio.get_running_loop()
    began, slowest, held = loop.time(), 0.0, 0
    while loop.time() - began < reading + 0.5:
        asked = loop.time()
        assert (await api.data("{ __typename }"))["__typename"] == "Query"
        slowest = max(slowest, loop.time() - asked)
        held = max(held, await count(settings.database_url, """
            SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
               AND state = 'idle in transaction' AND now() - state_change > interval '0.5 s'"""))
        await asyncio.sleep(0.1)
    assert slowest < 0.5, f"a request waited {slowest:.2f} s while the files were read"
    assert held == 0  # no transaction waits on the reading
    done = await _finished(api, city, started["rosterImport"]["id"])
    assert (done["status"], done["schoolsDone"]) == ("COMPLETED", 3)
