"""The programme dashboard, checked figure by figure against a dataset built by hand."""

from __future__ import annotations

import asyncio
import datetime as dt

from tortoise import connections

from services.clock import PROGRAMME_ZONE
from services.enums import AlertCategory, AlertSeverity, AlertSource, CourseCategory, HomeVisitDecision, SchoolStage
from services.family_education.models import Course, Enrollment, Instructor
from services.home_visits import service as visits
from services.home_visits.rules import Window
from services.identity import principals
from services.organisation.models import School, ServiceStation
from services.wellbeing import alerts
from tests.helpers import contract_operation, error_codes, make_person, make_student, statement_count
from tests.home_visits.helpers import move_into_past, slot
from tests.screens.dashboard_selections import DISTRICT_VISITS, EVERY_FIGURE, NO_FIGURES, OPEN_ALERTS, STOCKS

DASHBOARD = contract_operation("screens.graphql", "ProgrammeDashboard")
YEAR = dt.datetime.now(PROGRAMME_ZONE).year


async def _visit(world, teacher: str, parent: str, student: str, day: int, companions: tuple[str, ...] = ()) -> object:
    lead = await principals.of_user(world[teacher].user.id)
    chosen = slot(day, 10)
    window = Window(dt.datetime.fromisoformat(chosen["startsAt"]), dt.datetime.fromisoformat(chosen["endsAt"]))
    visit = await visits.propose(lead, visits.Proposal(world.students[student].id, [window], "了解情况",
                                                       [world[c].user.id for c in companions], "某路 1 号"))
    await visits.respond(await principals.of_user(world[parent].user.id), visit.id, HomeVisitDecision.ACCEPT,
                         window, None, None)
    await move_into_past(world.gid(visit))
    await visits.record(lead, visit.id, visits.VisitRecord(30, ["学习"], "顺利", False))
    return visit


async def _alert(world, student: str, severity: AlertSeverity, *, status: str, acknowledged_after: int | None,
                 raised_last_year: bool = False) -> None:
    raiser = await principals.of_user(world["teacher_a" if student == "a" else "teacher_b"].user.id)
    row = await alerts.raise_alert(raiser, student_id=world.students[student].id, severity=severity,
                                   category=AlertCategory.OTHER, source=AlertSource.TEACHER_OBSERVATION,
                                   summary="需要关注", details=None)
    # deterministic clocks: raised at the year's start (or a year before), acknowledged minutes later,
    # a 60-minute first deadline
    raised = dt.datetime(YEAR - (1 if raised_last_year else 0), 1, 2, 9, tzinfo=PROGRAMME_ZONE)
    acknowledged = raised + dt.timedelta(minutes=acknowledged_after) if acknowledged_after is not None else None
    await connections.get("default").execute_query(
        "UPDATE wellbeing_alert SET raised_at = $2, acknowledged_at = $3, status = $4, "
        "acknowledge_within_minutes = 60 WHERE id = $1", [row.id, raised, acknowledged, status])


async def _build(world) -> None:
    district_a, district_b = world.district_a, world.district_b
    # pilot schools: A has school_a and one more, B one; a non-pilot does not count
    await School.create(district_id=district_a.id, name="昆区试点二小", stage=SchoolStage.PRIMARY,
                        is_family_education_pilot=True)
    await School.create(district_id=district_b.id, name="青山试点小学", stage=SchoolStage.PRIMARY,
                        is_family_education_pilot=True)
    # stations: A has station_a, B two
    for name in ("青山一站", "青山二站"):
        await ServiceStation.create(district_id=district_b.id, name=name)
    # instructors: the world's (A, current); in A one expired; in B one current and one suspended
    today = dt.datetime.now(PROGRAMME_ZONE).date()
    for district, expires, suspended in ((district_a, today - dt.timedelta(days=1), False),
                                         (district_b, today + dt.timedelta(days=100), False),
                                         (district_b, today + dt.timedelta(days=100), True)):
        person = await make_person("指导师", ("INSTRUCTOR", {"district_id": district.id}), sign_in=False)
        await Instructor.create(user_id=person.user.id, certificate_number=f"D-{person.phone}",
                                certified_on=dt.date(YEAR - 1, 1, 1), expires_on=expires, specialties=["x"],
                                district_id=district.id,
                                suspended_at=dt.datetime.now(dt.UTC) if suspended else None)
    # home visits: in A, student a twice (once with a companion) and a2 once; in B, b once;
    # one more in A completed last year, which does not count
    await _visit(world, "teacher_a", "parent_a", "a", 2, companions=("teacher_a_other",))
    await _visit(world, "teacher_a", "parent_a", "a", 3)
    await _visit(world, "teacher_a_other", "parent_a2", "a2", 4)
    await _visit(world, "teacher_b", "parent_b", "b", 5)
    old = await _visit(world, "teacher_a", "parent_a", "a", 6)
    await connections.get("default").execute_query(
        "UPDATE home_visit SET completed_at = $2 WHERE id = $1",
        [old.id, dt.datetime(YEAR - 1, 6, 1, tzinfo=PROGRAMME_ZONE)])
    # courses: parent A enrols in two (completes one), parent B in one; one enrolment of last year
    courses = [await Course.create(title=f"课{i}", summary="x", category=CourseCategory.HEALTH, min_grade=1,
                                   max_grade=9) for i in range(3)]
    this_year = dt.datetime(YEAR, 1, 3, tzinfo=PROGRAMME_ZONE)
    await Enrollment.create(course_id=courses[0].id, guardian_id=world["parent_a"].user.id, enrolled_at=this_year,
                            completed_lessons=1, completed_at=this_year, certificate_number="JTJY-X-1")
    await Enrollment.create(course_id=courses[1].id, guardian_id=world["parent_a"].user.id, enrolled_at=this_year)
    await Enrollment.create(course_id=courses[0].id, guardian_id=world["parent_b"].user.id, enrolled_at=this_year)
    await Enrollment.create(course_id=courses[2].id, guardian_id=world["parent_b"].user.id,
                            enrolled_at=dt.datetime(YEAR - 1, 3, 1, tzinfo=PROGRAMME_ZONE))
    # alerts: seven in A this year (six acknowledged: after 10, 20, 30, 40, 50 and 5000 minutes; one resolved),
    # two in B (open), one in A last year (resolved)
    for minutes in (10, 20, 30, 40, 50, 5000):
        await _alert(world, "a", AlertSeverity.HIGH, status="ACKNOWLEDGED", acknowledged_after=minutes)
    await _alert(world, "a", AlertSeverity.MEDIUM, status="RESOLVED", acknowledged_after=None)
    for _ in range(2):
        await _alert(world, "b", AlertSeverity.LOW, status="OPEN", acknowledged_after=None)
    await _alert(world, "a", AlertSeverity.HIGH, status="RESOLVED", acknowledged_after=5, raised_last_year=True)


def _by_district(body: dict) -> dict[str, tuple]:
    return {d["district"]["name"]: (d["familiesVisited"], d["teachersVisiting"], d["alertsRaised"])
            for d in body["byDistrict"]}


async def test_the_city_dashboard_matches_the_hand_built_figures(api, world):
    await _build(world)
    body = (await api.data(DASHBOARD, {"year": YEAR}, token=world["city_admin"].token))["programmeDashboard"]
    assert body["pilotSchools"] == {"actual": 3, "target": 70}
    assert body["certifiedInstructors"] == {"actual": 2, "target": 100}
    assert body["serviceStations"] == {"actual": 3, "target": 150}
    assert body["teachersVisiting"] == {"actual": 3, "target": 1000}
    assert body["familiesVisited"] == {"actual": 3, "target": 10000}
    assert (body["homeVisitsCompleted"], body["courseEnrollments"], body["courseCompletions"]) == (4, 3, 1)
    assert body["alerts"] == {
        "raised": 9, "acknowledged": 6, "acknowledgedInTime": 5, "medianMinutesToAcknowledge": 35.0,
        "openBySeverity": [{"severity": "LOW", "count": None}, {"severity": "MEDIUM", "count": 0},
                           {"severity": "HIGH", "count": 6}, {"severity": "CRITICAL", "count": 0}]}
    districts = _by_district(body)
    assert len(districts) == 10
    assert districts[world.district_a.name] == (2, 2, 7)
    assert districts[world.district_b.name] == (1, 1, None)  # two alerts: withheld
    assert {v for k, v in districts.items() if k not in (world.district_a.name, world.district_b.name)} == {(0, 0, 0)}


async def test_a_district_sees_its_own_share_and_small_alert_counts_are_withheld(api, world):
    await _build(world)
    own = (await api.data(DASHBOARD, {"year": YEAR, "districtId": world.gid(world.district_a)},
                          token=world["district_admin_a"].token))["programmeDashboard"]
    assert own["pilotSchools"] == {"actual": 2, "target": 7}
    assert own["certifiedInstructors"] == {"actual": 1, "target": 10}
    assert own["serviceStations"] == {"actual": 1, "target": 15}
    visited = (own["teachersVisiting"]["actual"], own["familiesVisited"]["actual"], own["homeVisitsCompleted"])
    assert visited == (2, 2, 3)
    assert (own["courseEnrollments"], own["courseCompletions"]) == (2, 1)
    assert (own["alerts"]["raised"], own["alerts"]["acknowledged"], own["alerts"]["acknowledgedInTime"],
            own["alerts"]["medianMinutesToAcknowledge"]) == (7, 6, 5, 35.0)
    assert _by_district(own) == {world.district_a.name: (2, 2, 7)}

    other = (await api.data(DASHBOARD, {"year": YEAR, "districtId": world.gid(world.district_b)},
                            token=world["city_admin"].token))["programmeDashboard"]
    assert other["alerts"] == {"raised": None, "acknowledged": 0, "acknowledgedInTime": 0,
                               "medianMinutesToAcknowledge": None,
                               "openBySeverity": [{"severity": "LOW", "count": None},
                                                  {"severity": "MEDIUM", "count": 0},
                                                  {"severity": "HIGH", "count": 0},
                                                  {"severity": "CRITICAL", "count": 0}]}
    assert (other["courseEnrollments"], other["courseCompletions"]) == (1, 0)  # last year's does not count
    last_year = (await api.data(DASHBOARD, {"year": YEAR - 1}, token=world["city_admin"].token))[
        "programmeDashboard"]
    assert (last_year["homeVisitsCompleted"], last_year["courseEnrollments"]) == (1, 1)
    assert last_year["alerts"]["raised"] is None  # one alert: withheld


async def test_district_administrators_see_only_their_district(api, world):
    for selection in (DASHBOARD, STOCKS, NO_FIGURES):  # decided before any figure is read, whatever is selected
        for variables in ({"year": YEAR}, {"year": YEAR, "districtId": world.gid(world.district_b)}):
            body = await api.gql(selection, variables, token=world["district_admin_a"].token)
            assert error_codes(body) == ["FORBIDDEN"], variables
        for who in ("school_admin_a", "counsellor_a", "city_counsellor", "parent_a"):
            body = await api.gql(selection, {"year": YEAR}, token=world[who].token)
            assert error_codes(body) == ["FORBIDDEN"], who
    unknown = await api.data(DASHBOARD, {"year": YEAR, "districtId": world.gid(world.school_a)},
                             token=world["city_admin"].token)
    assert unknown["programmeDashboard"] is None


TRANSFER = contract_operation("organisation.graphql", "TransferStudent")


async def _enrolments_by_district(api, world) -> tuple[int, int]:
    figures = []
    for district in (world.district_a, world.district_b):
        body = await api.data(DASHBOARD, {"year": YEAR, "districtId": world.gid(district)},
                              token=world["city_admin"].token)
        figures.append(body["programmeDashboard"]["courseEnrollments"])
    return figures[0], figures[1]


async def test_a_parents_enrolments_follow_their_child_to_another_district(api, world):
    await _build(world)
    assert await _enrolments_by_district(api, world) == (2, 1)  # parent A's two in A, parent B's one in B
    body = await api.data(TRANSFER, {"input": {"studentId": world.gid(world.students["a"]),
                                               "toSchoolClassId": world.gid(world.class_b1), "reason": "搬家"}},
                          token=world["city_admin"].token)
    assert body["transferStudent"]["userErrors"] == []
    assert await _enrolments_by_district(api, world) == (0, 3)
    # a second child, at a school in A, makes parent A count in both districts
    await make_student("张小华", world.class_a2, world["parent_a"])
    assert await _enrolments_by_district(api, world) == (2, 3)
    # and the mapping is exactly what the links say, after all that
    rows = await connections.get("default").execute_query_dict(
        """SELECT (SELECT count(*) FROM guardian_district) AS kept,
                  (SELECT count(*) FROM (SELECT DISTINCT g.guardian_id, s.district_id FROM guardianship g
                     JOIN student st ON st.id = g.student_id JOIN school s ON s.id = st.school_id) d) AS derived,
                  (SELECT count(*) FROM guardian_district gd WHERE NOT EXISTS (
                     SELECT 1 FROM guardianship g JOIN student st ON st.id = g.student_id
                       JOIN school s ON s.id = st.school_id
                      WHERE g.guardian_id = gd.guardian_id AND s.district_id = gd.district_id)) AS stale""")
    assert rows[0]["kept"] == rows[0]["derived"] and rows[0]["stale"] == 0


async def test_two_children_moving_at_once_leave_their_parent_in_the_new_district_only(api, world):
    """Each transfer alone still sees the other child in the old district; the guardian's turn-taking
    in the database makes the second see the first, so the old district does not linger."""
    db = connections.get("default")
    for attempt in range(5):
        parent = await make_person(f"家长{attempt}", ("PARENT", {}), sign_in=False)
        children = [await make_student(f"孩子{attempt}{n}", world.class_a1, parent) for n in range(2)]
        answers = await asyncio.gather(*(api.data(TRANSFER, {"input": {
            "studentId": world.gid(child), "toSchoolClassId": world.gid(world.class_b1), "reason": "搬家"}},
            token=world["city_admin"].token) for child in children))
        assert all(a["transferStudent"]["userErrors"] == [] for a in answers)
        rows = await db.execute_query_dict("SELECT district_id FROM guardian_district WHERE guardian_id = $1",
                                           [parent.user.id])
        assert [r["district_id"] for r in rows] == [world.district_b.id], attempt



#: The groups of figures read apart: stocks, visits, courses, trained teachers, notices, the column,
#: alerts handled and alerts open. The screen's document names all but three of them.
GROUPS, SCREEN_GROUPS = 8, 5


def _shared(full, narrow):
    """The part of ``full`` that ``narrow`` selects."""
    if isinstance(narrow, dict):
        return {key: _shared(full[key], value) for key, value in narrow.items()}
    if isinstance(narrow, list):
        return [_shared(f, n) for f, n in zip(full, narrow, strict=True)]
    return full


async def test_a_selection_reads_only_the_figures_it_names_and_answers_as_the_full_one_does(api, world):
    await _build(world)
    token = world["city_admin"].token
    for variables in ({"year": YEAR}, {"year": YEAR, "districtId": world.gid(world.district_a)}):
        full = (await api.data(EVERY_FIGURE, variables, token=token))["programmeDashboard"]
        bare = await statement_count(api, NO_FIGURES, variables, token)  # the districts, and no figure
        per_group = await statement_count(api, STOCKS, variables, token) - bare
        assert per_group > 0
        assert await statement_count(api, OPEN_ALERTS, variables, token) == bare + per_group
        assert await statement_count(api, DISTRICT_VISITS, variables, token) == bare + per_group
        assert await statement_count(api, DASHBOARD, variables, token) == bare + SCREEN_GROUPS * per_group
        assert await statement_count(api, EVERY_FIGURE, variables, token) == bare + GROUPS * per_group
        for narrow in (DASHBOARD, NO_FIGURES, STOCKS, OPEN_ALERTS, DISTRICT_VISITS):
            answer = (await api.data(narrow, variables, token=token))["programmeDashboard"]
            assert answer == _shared(full, answer), narrow
