"""The floor: the parent's home screen by hand, Starlette + asyncpg + orjson, no GraphQL.

It verifies the same access token, runs four explicit SQL statements and returns the JSON that
`ParentHome` returns through /graphql for the same parent (the suite checks they are equal before
it measures). Whatever /graphql costs beyond this is the price of the GraphQL stack and of our code.
Run by the suite:  python -m bench.floor --port P  (settings from the environment, as `coedu serve`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.app import build_runtime, redis_client
from api.settings import Settings
from schema.common.ids import to_global_id
from services import runtime
from services.home_visits.service import unseal
from services.identity.tokens import verify_access_token

_CHILDREN = """
SELECT u.display_name AS viewer_name,
       (SELECT count(*) FROM notification n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread,
       st.id, st.display_name, c.id AS class_id, c.name AS class_name, c.grade,
       s.id AS school_id, s.name AS school_name, d.id AS district_id, d.name AS district_name,
       h.id AS homeroom_id, h.display_name AS homeroom_name
  FROM app_user u
  LEFT JOIN guardianship g ON g.guardian_id = u.id
  LEFT JOIN student st ON st.id = g.student_id
  LEFT JOIN school_class c ON c.id = st.school_class_id
  LEFT JOIN school s ON s.id = st.school_id
  LEFT JOIN district d ON d.id = s.district_id
  LEFT JOIN app_user h ON h.id = c.homeroom_teacher_id
 WHERE u.id = $1
 ORDER BY st.birth_date, st.id
"""

# Open visits still to come, with the current round's slots and the lead teacher.
_VISITS = """
SELECT v.id, v.student_id, v.status, v.scheduled_start, v.scheduled_end, v.purpose_sealed,
       t.id AS teacher_id, t.display_name AS teacher_name,
       coalesce((SELECT json_agg(json_build_array(sl.starts_at, sl.ends_at) ORDER BY sl.starts_at, sl.id)
                   FROM home_visit_slot sl WHERE sl.visit_id = v.id AND sl.round = v.round), '[]') AS slots
  FROM home_visit v JOIN app_user t ON t.id = v.lead_teacher_id
 WHERE v.student_id = ANY($1::uuid[])
   AND v.status IN ('PROPOSED', 'RESCHEDULE_REQUESTED', 'CONFIRMED') AND v.window_end > now()
 ORDER BY v.window_start, v.id
"""

_ENROLLMENTS = """
SELECT e.id, e.completed_lessons, e.completed_at, c.id AS course_id, c.title, c.category,
       (SELECT count(*) FROM lesson l WHERE l.course_id = c.id) AS lessons
  FROM enrollment e JOIN course c ON c.id = e.course_id
 WHERE e.guardian_id = $1
 ORDER BY e.enrolled_at DESC, e.id
 LIMIT 10
"""

_SEATS = """
SELECT r.id, r.status, cs.id AS session_id, cs.starts_at, cs.ends_at, c.id AS course_id, c.title,
       s.id AS school_id, s.name AS school_name, ss.id AS station_id, ss.name AS station_name,
       ss.address AS station_address
  FROM session_registration r JOIN course_session cs ON cs.id = r.session_id
  JOIN course c ON c.id = cs.course_id
  LEFT JOIN school s ON s.id = cs.school_id LEFT JOIN service_station ss ON ss.id = cs.station_id
 WHERE r.guardian_id = $1 AND r.status = 'REGISTERED' AND cs.ends_at > now()
 ORDER BY cs.starts_at, r.id
 LIMIT 5
"""

_pool: asyncpg.Pool | None = None


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _slot_time(value: str) -> str:
    # json_agg prints timestamptz in the session zone (UTC) as "2026-12-02T08:30:00+00:00"
    return dt.datetime.fromisoformat(value).isoformat()


async def parent_home(request: Request) -> Response:
    header = request.headers.get("authorization", "")
    claims = verify_access_token(header[7:]) if header.lower().startswith("bearer ") else None
    if claims is None:
        return Response(b'{"errors":[{"message":"unauthenticated"}]}', status_code=401,
                        media_type="application/json")
    assert _pool is not None
    async with _pool.acquire() as connection:
        children = await connection.fetch(_CHILDREN, claims.user_id)
        student_ids = [row["id"] for row in children if row["id"] is not None]
        visits = await connection.fetch(_VISITS, student_ids)
        enrollments = await connection.fetch(_ENROLLMENTS, claims.user_id)
        seats = await connection.fetch(_SEATS, claims.user_id)
    by_student: dict = {}
    for visit in visits:
        by_student.setdefault(visit["student_id"], []).append(visit)
    viewer = children[0]
    payload = {"data": {"viewer": {
        "id": to_global_id("User", claims.user_id),
        "displayName": viewer["viewer_name"],
        "unreadNotificationCount": viewer["unread"],
        "children": [{
            "id": to_global_id("Student", row["id"]),
            "displayName": row["display_name"],
            "grade": row["grade"],
            "school": {"id": to_global_id("School", row["school_id"]), "name": row["school_name"],
                       "district": {"id": to_global_id("District", row["district_id"]),
                                    "name": row["district_name"]}},
            "schoolClass": {"id": to_global_id("SchoolClass", row["class_id"]), "name": row["class_name"],
                            "homeroomTeacher": {"id": to_global_id("User", row["homeroom_id"]),
                                                "displayName": row["homeroom_name"]}
                            if row["homeroom_id"] else None},
            "homeVisits": {"nodes": [{
                "id": to_global_id("HomeVisit", v["id"]),
                "status": v["status"],
                "scheduledWindow": {"startsAt": _iso(v["scheduled_start"]), "endsAt": _iso(v["scheduled_end"])}
                if v["scheduled_start"] and v["scheduled_end"] else None,
                "proposedSlots": [{"startsAt": _slot_time(a), "endsAt": _slot_time(b)}
                                  for a, b in orjson.loads(v["slots"])],
                "teacher": {"id": to_global_id("User", v["teacher_id"]), "displayName": v["teacher_name"]},
                "purpose": unseal(v["purpose_sealed"], "purpose", v["id"]),  # the parent's own child's visit
            } for v in by_student.get(row["id"], [])[:3]]},
        } for row in children if row["id"] is not None],
        "enrollments": {"nodes": [{
            "id": to_global_id("Enrollment", e["id"]),
            "progressPercent": round(100 * e["completed_lessons"] / e["lessons"]) if e["lessons"] else 0,
            "completedAt": _iso(e["completed_at"]),
            "course": {"id": to_global_id("Course", e["course_id"]), "title": e["title"],
                       "category": e["category"], "lessonCount": e["lessons"]},
        } for e in enrollments]},
        "courseSessionRegistrations": {"nodes": [{
            "id": to_global_id("SessionRegistration", s["id"]),
            "status": s["status"],
            "session": {
                "id": to_global_id("CourseSession", s["session_id"]),
                "startsAt": _iso(s["starts_at"]), "endsAt": _iso(s["ends_at"]),
                "course": {"id": to_global_id("Course", s["course_id"]), "title": s["title"]},
                "venue": {"__typename": "School", "id": to_global_id("School", s["school_id"]),
                          "name": s["school_name"]} if s["school_id"] else
                         {"__typename": "ServiceStation", "id": to_global_id("ServiceStation", s["station_id"]),
                          "name": s["station_name"], "address": s["station_address"]},
            },
        } for s in seats]},
    }}}
    return Response(orjson.dumps(payload), media_type="application/json")


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        global _pool
        redis = redis_client(settings.redis_url or "")
        runtime.install(build_runtime(settings, redis))
        _pool = await asyncpg.create_pool(settings.database_url.replace("postgres://", "postgresql://", 1),
                                          min_size=4, max_size=10)
        try:
            yield
        finally:
            await _pool.close()
            await redis.aclose()

    return Starlette(routes=[Route("/parent-home", parent_home, methods=["POST"]),
                             Route("/readyz", lambda request: Response(b"ok"))], lifespan=lifespan)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(Settings.from_env()), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)
