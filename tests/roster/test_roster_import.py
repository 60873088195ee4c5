"""The roster sync through `coedu roster import|export`, on real PostgreSQL and Redis: the seed's
people out as OneRoster and in again, idempotent, a move handed off, a malformed file refused
with nothing written, a killed import resumed, the student-status spreadsheets."""

from __future__ import annotations

import json
import stat

from services.enums import RosterKind
from services.roster import oneroster, xueji
from services.roster.sync import source_index
from tests.home_visits.helpers import VISIT, propose
from tests.roster.helpers import changes, count, rows, write_rows
from tests.wellbeing.helpers import raise_alert

#: The demo's people (`coedu seed demo`), as the export writes them.
DEMO = {"created.school": 20, "created.class": 99, "created.student": 400, "linked.guardian": 740,
        "invited.guardian": 635}


async def test_the_seeds_people_go_out_as_oneroster_and_into_an_empty_city_unchanged(
        coedu, demo_bundle, second_database, tmp_path):
    dry = await coedu("roster", "import", str(demo_bundle), "--dry-run", database=second_database)
    assert changes(dry) == DEMO
    assert await count(second_database, "SELECT count(*) FROM school") == 0
    assert await count(second_database, "SELECT count(*) FROM roster_run") == 0

    first = await coedu("roster", "import", str(demo_bundle), "--report", str(tmp_path / "report.csv"),
                  database=second_database)
    assert changes(first) == DEMO
    codes = tmp_path / "report-invitations.csv"
    assert stat.S_IMODE(codes.stat().st_mode) == 0o600
    assert len(rows(codes)) == DEMO["invited.guardian"]
    assert "1390000" not in first.stdout + first.stderr  # no phone reaches the terminal
    for table, expected in (("school", 20), ("school_class", 99), ("student", 400), ("guardianship", 740),
                            ("home_address", len([r for r in rows(demo_bundle / "users.csv")
                                                  if r["metadata.coedu.address"]]))):
        assert await count(second_database, f"SELECT count(*) FROM {table}") == expected, table
    assert await count(second_database, "SELECT count(*) FROM audit_event WHERE action = 'IMPORT'") == 1

    again = await coedu("roster", "import", str(demo_bundle), database=second_database)
    assert changes(again) == {} and "nothing to change" in again.stdout
    # One live code per guardian (a second child's link replaced the first child's code, as LinkGuardian does).
    assert await count(second_database, "SELECT count(*) FROM invitation WHERE superseded_at IS NULL") == \
        DEMO["invited.guardian"]

    await coedu("roster", "export", str(tmp_path / "again"), database=second_database)
    for name in oneroster.FILES:
        assert (tmp_path / "again" / name).read_bytes() == (demo_bundle / name).read_bytes(), name
    assert await count(second_database, "SELECT count(*) FROM audit_event WHERE action = 'EXPORT'") == 1
    # each run records the files' digest: the two imports', and the export's, equal to theirs (same bytes)
    digest = oneroster.read(demo_bundle).digest
    assert await count(second_database, f"SELECT direction FROM roster_run WHERE digest = '{digest}' "
                                        "ORDER BY started_at DESC LIMIT 1") == "EXPORT"
    assert await count(second_database, f"SELECT count(*) FROM roster_run WHERE digest = '{digest}'") == 3
    assert await count(second_database, "SELECT count(*) FROM audit_event WHERE action = 'READ_HOME_ADDRESS'") \
        == await count(second_database, "SELECT count(*) FROM home_address")


async def test_a_populated_city_is_linked_not_doubled_and_a_moved_student_is_handed_off(
        api, world, coedu, settings, tmp_path):
    alert = await raise_alert(api, world)
    visit = await propose(api, world, by="teacher_a_other", student="a2")
    await coedu("roster", "export", str(tmp_path / "world"))
    bundle = tmp_path / "world"
    ids = {"a": str(world.students["a"].id), "a2": str(world.students["a2"].id)}
    # Student a moves to school B; a2 is gone from the files; a new child arrives at school B with a
    # new guardian and an existing one.
    enrollments = [r for r in rows(bundle / "enrollments.csv") if r["userSourcedId"] != ids["a2"]]
    for row in enrollments:
        if row["userSourcedId"] == ids["a"]:
            row.update(classSourcedId=str(world.class_b1.id), schoolSourcedId=str(world.school_b.id))
    users = [r for r in rows(bundle / "users.csv") if r["sourcedId"] != ids["a2"]]
    parent_b = str(world["parent_b"].user.id)
    template = next(r for r in users if r["sourcedId"] == ids["a"])
    users.append({**template, "sourcedId": "new-child", "username": "new-child", "givenName": "小新",
                  "identifier": "G150000000000001", "agentSourcedIds": f"new-parent,{parent_b}",
                  "primaryOrgSourcedId": str(world.school_b.id),
                  "metadata.coedu.relationships": "MOTHER,FATHER"})
    users.append({**dict.fromkeys(template, ""), "sourcedId": "new-parent", "givenName": "新妈妈", "familyName": "王",
                  "phone": "13800009999", "enabledUser": "true", "metadata.coedu.address": "青山区幸福路 8 号"})
    for row in users:
        if row["sourcedId"] == ids["a"]:
            row["primaryOrgSourcedId"] = str(world.school_b.id)
    enrollments.append({**enrollments[0], "sourcedId": "new-child:enrollment", "userSourcedId": "new-child",
                        "classSourcedId": str(world.class_b1.id), "schoolSourcedId": str(world.school_b.id)})
    roles = [r for r in rows(bundle / "roles.csv") if r["userSourcedId"] != ids["a2"]]
    roles += [{**roles[0], "sourcedId": "new-child:role", "userSourcedId": "new-child", "role": "student",
               "orgSourcedId": str(world.school_b.id)},
              {**roles[0], "sourcedId": "new-parent:role", "userSourcedId": "new-parent", "role": "guardian",
               "orgSourcedId": str(world.school_b.id)}]
    demographics = [r for r in rows(bundle / "demographics.csv") if r["sourcedId"] != ids["a2"]]
    demographics.append({**demographics[0], "sourcedId": "new-child"})
    for name, table in (("enrollments.csv", enrollments), ("users.csv", users), ("roles.csv", roles),
                        ("demographics.csv", demographics)):
        write_rows(bundle / name, table)

    result = await coedu("roster", "import", str(bundle))
    assert changes(result) == {"transferred.student": 1, "withdrawn.student": 1, "created.student": 1,
                               "linked.guardian": 2, "invited.guardian": 1}
    url = settings.database_url
    assert await count(url, "SELECT count(*) FROM school") == 3
    assert await count(url, f"SELECT count(*) FROM student WHERE id = '{ids['a']}' "
                            f"AND school_id = '{world.school_b.id}'") == 1
    assert await count(url, f"SELECT count(*) FROM student_transfer WHERE student_id = '{ids['a']}'") == 1
    assert await count(url, f"SELECT count(*) FROM wellbeing_alert_event e JOIN wellbeing_alert a ON a.id = e.alert_id "
                            f"WHERE a.student_id = '{ids['a']}' AND e.kind = 'HANDOFF'") == 1
    assert await count(url, f"SELECT count(*) FROM student WHERE id = '{ids['a2']}' "
                            "AND withdrawn_at IS NOT NULL") == 1
    assert alert["id"]
    # nobody is to visit the family of a child who left: the open visit is called off by the school
    called_off = (await api.data(VISIT, {"id": visit["id"]}, token=world["parent_a2"].token))["node"]
    assert (called_off["status"], called_off["endedBy"], called_off["endReason"]) == ("CANCELLED", "SCHOOL",
                                                                                     "学生已离校")
    again = await coedu("roster", "import", str(bundle))
    assert changes(again) == {}


async def test_a_malformed_bundle_is_refused_with_a_precise_report_and_nothing_written(
        coedu, demo_bundle, second_database, tmp_path):
    users = rows(demo_bundle / "users.csv")
    guardian_row = next(i for i, r in enumerate(users) if r["phone"])
    users[guardian_row]["phone"] = "12345"
    write_rows(demo_bundle / "users.csv", users)
    demographics = rows(demo_bundle / "demographics.csv")
    demographics[3]["birthDate"] = "2015-02-30"
    write_rows(demo_bundle / "demographics.csv", demographics)
    classes = rows(demo_bundle / "classes.csv")
    write_rows(demo_bundle / "classes.csv", [*classes, classes[0]])
    enrollments = rows(demo_bundle / "enrollments.csv")
    enrollments[5]["classSourcedId"] = "no-such-class"
    write_rows(demo_bundle / "enrollments.csv", enrollments)

    report = tmp_path / "problems.csv"
    refused = await coedu("roster", "import", str(demo_bundle), "--report", str(report), "--language", "en",
                    database=second_database, expect=1)
    assert "nothing written" in refused.stderr
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    found = {(r["file"], int(r["row"]), r["column"], r["code"]) for r in rows(report)}
    children_of_bad_guardian = [i + 2 for i, r in enumerate(users)
                                if users[guardian_row]["sourcedId"] in r["agentSourcedIds"].split(",")]
    assert ("users.csv", guardian_row + 2, "phone", "INVALID_PHONE") in found
    assert ("demographics.csv", 5, "birthDate", "ROSTER_INVALID_DATE") in found
    assert ("classes.csv", len(classes) + 2, "sourcedId", "ROSTER_DUPLICATE_ID") in found
    assert ("users.csv", children_of_bad_guardian[0], "agentSourcedIds", "ROSTER_UNKNOWN_REFERENCE") in found
    assert any(f[0] == "users.csv" and f[3] == "ROSTER_UNKNOWN_REFERENCE" and f[2] == "classSourcedId"
               for f in found)
    messages = {r["code"]: r["message"] for r in rows(report)}
    assert messages["ROSTER_DUPLICATE_ID"] == f"The id {classes[0]['sourcedId']} appears more than once."
    for table in ("school", "student", "roster_run", "app_user", "audit_event"):
        assert await count(second_database, f"SELECT count(*) FROM {table}") == 0, table

    partial = await coedu("roster", "import", str(demo_bundle), "--valid-schools-only", database=second_database)
    left_out = int(partial.stderr.split(" schools left out")[0].split()[-1])
    assert 1 <= left_out <= 4
    assert changes(partial)["created.school"] == 20 - left_out


async def test_a_killed_import_resumes_where_it_stopped_and_writes_nothing_twice(
        coedu, demo_bundle, second_database):
    killed = await coedu("roster", "import", str(demo_bundle), database=second_database,
                   env={"COEDU_FAILPOINTS": "kill-after-roster-school"}, expect=None)
    assert killed.returncode == -9
    assert await count(second_database, "SELECT count(*) FROM school") == 2
    assert await count(second_database, "SELECT jsonb_array_length(schools_done) FROM roster_run "
                                        "WHERE status = 'RUNNING'") == 2
    resumed = await coedu("roster", "import", str(demo_bundle), database=second_database)
    assert "resumed" in resumed.stdout
    # The resumed run's counts are the whole run's: the first two schools' and the rest.
    assert {k: v for k, v in changes(resumed).items() if k != "invited.guardian"} == {
        k: v for k, v in DEMO.items() if k != "invited.guardian"}
    for table, expected in (("school", 20), ("school_class", 99), ("student", 400), ("guardianship", 740)):
        assert await count(second_database, f"SELECT count(*) FROM {table}") == expected, table
    assert await count(second_database, "SELECT count(*) FROM roster_run WHERE status = 'COMPLETED'") == 1
    assert await count(second_database, "SELECT count(*) FROM invitation WHERE superseded_at IS NULL") == \
        DEMO["invited.guardian"]


async def test_student_status_spreadsheets_import_as_xlsx_and_as_gb18030_csv(
        coedu, demo_bundle, second_database, tmp_path):
    roster = oneroster.read(demo_bundle)
    xueji.write(roster, tmp_path / "学籍.xlsx")
    result = await coedu("roster", "import", str(tmp_path / "学籍.xlsx"), database=second_database)
    # The spreadsheet lists students: a class nobody is in is not in it.
    assert changes(result) == {**DEMO, "created.class": 98}
    assert await count(second_database, "SELECT count(*) FROM student") == 400
    # The same people as a GB18030 CSV under the school's own heading for the number: nothing changes.
    xueji.write(roster, tmp_path / "学籍.csv", encoding="gb18030")
    text = (tmp_path / "学籍.csv").read_text(encoding="gb18030").replace("学籍号", "学生编号", 1)
    (tmp_path / "学籍.csv").write_text(text, encoding="gb18030")
    (tmp_path / "mapping.json").write_text(json.dumps({"student_number": "学生编号"}), encoding="utf-8")
    refused = await coedu("roster", "import", str(tmp_path / "学籍.csv"), "--language", "en",
                    "--report", str(tmp_path / "r.csv"), database=second_database, expect=1)
    assert "nothing written" in refused.stderr
    assert [(r["row"], r["column"], r["code"]) for r in rows(tmp_path / "r.csv")] == [
        ("1", "学籍号", "ROSTER_MISSING_COLUMN")]
    again = await coedu("roster", "import", str(tmp_path / "学籍.csv"), "--mapping", str(tmp_path / "mapping.json"),
                  database=second_database)
    assert changes(again) == {}


async def test_a_delta_withdraws_only_whom_it_marks_and_the_next_bulk_brings_them_back(
        coedu, demo_bundle, second_database, tmp_path):
    await coedu("roster", "import", str(demo_bundle), database=second_database)
    delta = tmp_path / "delta"
    delta.mkdir()
    manifest = (demo_bundle / "manifest.csv").read_text(encoding="utf-8").replace("file.users,bulk", "file.users,delta")
    (delta / "manifest.csv").write_text(manifest, encoding="utf-8")
    users = rows(demo_bundle / "users.csv")
    leaver = next(r for r in users if r["identifier"])
    write_rows(delta / "users.csv", [{**leaver, "status": "tobedeleted"}])
    for name in ("orgs.csv", "classes.csv"):
        (delta / name).write_bytes((demo_bundle / name).read_bytes())
    for name, column in (("roles.csv", "userSourcedId"), ("enrollments.csv", "userSourcedId"),
                         ("demographics.csv", "sourcedId")):
        write_rows(delta / name, [r for r in rows(demo_bundle / name) if r[column] == leaver["sourcedId"]])
    result = await coedu("roster", "import", str(delta), database=second_database)
    # a delta is not a school's whole roster: nobody else, though absent from its users.csv, is withdrawn
    assert changes(result) == {"withdrawn.student": 1}
    assert await count(second_database, "SELECT count(*) FROM student WHERE withdrawn_at IS NOT NULL") == 1
    back = await coedu("roster", "import", str(demo_bundle), database=second_database)
    assert changes(back) == {"rejoined.student": 1}
    assert await count(second_database, "SELECT count(*) FROM student WHERE withdrawn_at IS NOT NULL") == 0


async def test_a_guardian_the_full_roster_no_longer_lists_is_unlinked_and_a_link_made_by_hand_stays(
        server, coedu, demo_bundle, second_database, tmp_path):
    await coedu("roster", "import", str(demo_bundle), database=second_database)
    users = rows(demo_bundle / "users.csv")
    child = next(r for r in users if r["agentSourcedIds"].count(",") == 1)
    kept, dropped = child["agentSourcedIds"].split(",")
    child.update(agentSourcedIds=kept, **{"metadata.coedu.relationships":
                                           child["metadata.coedu.relationships"].split(",")[0]})
    bundle = tmp_path / "custody"
    bundle.mkdir()
    for name in ("manifest.csv", "orgs.csv", "classes.csv", "roles.csv", "enrollments.csv", "demographics.csv"):
        (bundle / name).write_bytes((demo_bundle / name).read_bytes())
    write_rows(bundle / "users.csv", users)
    # a school linked an aunt to another child by hand (LinkGuardian): the roster does not know of it
    other = next(r for r in users if r["identifier"] and dropped not in r["agentSourcedIds"].split(","))
    student, guardian = source_index(RosterKind.STUDENT, other["sourcedId"]), source_index(RosterKind.GUARDIAN, dropped)
    await count(second_database, f"""
        INSERT INTO guardianship (id, student_id, guardian_id, relationship, is_primary)
        SELECT gen_random_uuid(), s.entity_id, g.entity_id, 'OTHER', false FROM roster_source s, roster_source g
         WHERE s.kind = 'STUDENT' AND s.source_index = '{student}' AND g.kind = 'GUARDIAN'
           AND g.source_index = '{guardian}'""")
    assert await count(second_database, "SELECT count(*) FROM guardianship WHERE NOT from_roster") == 1
    links = await count(second_database, "SELECT count(*) FROM guardianship")

    result = await coedu("roster", "import", str(bundle), database=second_database)
    assert changes(result) == {"unlinked.guardian": 1}
    assert await count(second_database, "SELECT count(*) FROM guardianship") == links - 1
    assert await count(second_database, "SELECT count(*) FROM guardianship WHERE NOT from_roster") == 1
    again = await coedu("roster", "import", str(bundle), database=second_database)
    assert changes(again) == {}
