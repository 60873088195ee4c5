"""Instructors: certification and its status, expiry reminders, availability and bookable slots in
Asia/Shanghai; service stations: creation, nearest first, opening hours."""

from __future__ import annotations

import datetime as dt
import math

from tortoise import connections
from tortoise.transactions import in_transaction

from services.family_education.stations import _NEAR
from services.identity import sessions
from tests.family_education.helpers import (
    CERTIFY,
    CREATE_STATION,
    FIND_INSTRUCTORS,
    INSTRUCTOR_HOME,
    NEAR,
    SCHEDULE,
    SHANGHAI,
    SLOTS,
    create_course,
    local,
    next_weekday,
    notification_titles,
    ok,
    schedule_session,
    set_availability,
)
from tests.helpers import error_codes, next_phone, user_error_codes
from tests.wellbeing.helpers import eventually, row_id

SUSPEND = """mutation Suspend($id: ID!, $suspended: Boolean!) {
  suspendInstructor(input: {instructorId: $id, suspended: $suspended}) {
    instructor { certificationStatus } userErrors { code field } } }"""


def _certification(world, **changes) -> dict:
    today = dt.datetime.now(SHANGHAI).date()
    return {"phone": next_phone(), "displayName": "刘指导师", "certificateNumber": "BTJY-2026-0100",
            "certifiedOn": (today - dt.timedelta(days=30)).isoformat(),
            "expiresOn": (today + dt.timedelta(days=365)).isoformat(), "specialties": ["亲子沟通", "学业压力"],
            "districtId": world.gid(world.district_a), "bio": "十年家庭教育指导经验。"} | changes


async def _certify(api, world, by: str = "district_admin_a", **changes) -> dict:
    body = await api.data(CERTIFY, {"input": _certification(world, **changes)}, token=world[by].token)
    return body["certifyInstructor"]


async def test_certifying_makes_an_active_instructor_with_an_invitation_and_three_expiry_reminders(api, world):
    certified = ok(await _certify(api, world))
    instructor = certified["instructor"]
    assert instructor["certificationStatus"] == "ACTIVE" and instructor["certificateNumber"] == "BTJY-2026-0100"
    assert instructor["displayName"] == "刘指导师" and len(certified["invitation"]["code"]) >= 6
    jobs = await connections.get("default").execute_query_dict(
        "SELECT (due_at AT TIME ZONE 'Asia/Shanghai') AS local FROM scheduled_job "
        "WHERE kind = 'certificate_expiry' AND subject_id = $1 ORDER BY due_at", [row_id(instructor["id"])])
    expires = dt.date.fromisoformat(instructor["certificateExpiresOn"])
    assert [j["local"] for j in jobs] == [dt.datetime.combine(expires - dt.timedelta(days=d), dt.time(9))
                                          for d in (90, 30, 7)]
    # the same certificate number, the same person again, dates the wrong way round
    assert user_error_codes(await _certify(api, world)) == [("CONFLICT", "certificateNumber")]
    phone = next_phone()
    ok(await _certify(api, world, phone=phone, certificateNumber="BTJY-2026-0101"))
    assert user_error_codes(await _certify(api, world, phone=phone, certificateNumber="BTJY-2026-0102")) == [
        ("CONFLICT", "phone")]
    backwards = await _certify(api, world, expiresOn="2020-01-01", specialties=[])
    assert user_error_codes(backwards) == [("INVALID_INPUT", "expiresOn"), ("INVALID_INPUT", "specialties")]
    # a district administrator certifies in their own district only
    elsewhere = await api.gql(CERTIFY, {"input": _certification(world, districtId=world.gid(world.district_b),
                                                                 certificateNumber="X-1")},
                              token=world["district_admin_a"].token)
    assert error_codes(elsewhere) == ["FORBIDDEN"]


async def test_a_certificate_running_out_reminds_the_instructor_and_the_districts_administrators(api, world):
    instructor = ok(await _certify(api, world))["instructor"]
    db = connections.get("default")
    # time travel: the 7-day reminder is due now, and the certificate ends seven days after it
    await db.execute_query(
        "UPDATE scheduled_job SET due_at = now() - interval '1 minute' WHERE subject_id = $1 AND due_at = "
        "(SELECT max(due_at) FROM scheduled_job WHERE subject_id = $1)", [row_id(instructor["id"])])
    await db.execute_query(
        "UPDATE instructor SET expires_on = ((now() - interval '1 minute') AT TIME ZONE 'Asia/Shanghai')::date + 7 "
        "WHERE id = $1", [row_id(instructor["id"])])
    holder = await db.execute_query_dict("SELECT user_id FROM instructor WHERE id = $1", [row_id(instructor["id"])])
    async with in_transaction() as tx:  # signed in, as after activating
        token = (await sessions.start(holder[0]["user_id"], using=tx)).access_token

    async def reminded() -> bool:
        return "指导师证书即将到期" in await notification_titles(api, token) and \
            "指导师证书即将到期" in await notification_titles(api, world["district_admin_a"].token)

    assert await eventually(reminded)
    assert "指导师证书即将到期" not in await notification_titles(api, world["district_admin_b"].token)


async def test_status_follows_the_dates_and_suspension_and_the_bookable_come_first(api, world):
    second = ok(await _certify(api, world, certificateNumber="AAAA-0001"))["instructor"]
    await connections.get("default").execute_query(
        "UPDATE instructor SET expires_on = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 WHERE id = $1",
        [row_id(second["id"])])
    found = await api.data(FIND_INSTRUCTORS, {"first": 10, "filter": {"districtId": world.gid(world.district_a)}},
                           token=world["parent_a"].token)
    listed = [(n["displayName"], n["certificationStatus"]) for n in found["instructors"]["nodes"]]
    assert listed == [("家庭教育指导师", "ACTIVE"), ("刘指导师", "EXPIRED")]  # active first, despite the number
    assert found["instructors"]["nodes"][0]["stations"] == [{"id": world.gid(world.station_a),
                                                             "name": "友谊社区家庭教育服务站"}]
    by_specialty = await api.data(FIND_INSTRUCTORS, {"first": 10, "filter": {"specialty": "青春期"}},
                                  token=world["parent_a"].token)
    assert [n["displayName"] for n in by_specialty["instructors"]["nodes"]] == ["家庭教育指导师"]

    async def suspend(flag: bool, by: str = "district_admin_a") -> dict:
        body = await api.data(SUSPEND, {"id": world.gid(world.instructor), "suspended": flag}, token=world[by].token)
        return body["suspendInstructor"]

    assert (await suspend(True))["instructor"]["certificationStatus"] == "SUSPENDED"
    course = await create_course(api, world)
    refused = await api.data(SCHEDULE, {"input": {
        "courseId": course["id"], "startsAt": local(3, 9).isoformat(), "endsAt": local(3, 10).isoformat(),
        "stationId": world.gid(world.station_a), "instructorId": world.gid(world.instructor), "capacity": 5}},
        token=world["district_admin_a"].token)
    assert user_error_codes(refused["scheduleCourseSession"]) == [("INVALID_STATE", "instructorId")]
    assert (await suspend(False))["instructor"]["certificationStatus"] == "ACTIVE"
    denied = await api.gql(SUSPEND, {"id": world.gid(world.instructor), "suspended": True},
                           token=world["district_admin_b"].token)
    assert error_codes(denied) == ["FORBIDDEN"]


async def test_availability_is_replaced_whole_and_checked(api, world):
    bad = await set_availability(api, world, [
        {"weekday": 8, "startTime": "09:00", "endTime": "12:00"},
        {"weekday": 1, "startTime": "9:00", "endTime": "12:00"},
        {"weekday": 1, "startTime": "14:00", "endTime": "13:00"},
        {"weekday": 2, "startTime": "14:00", "endTime": "16:00", "stationId": world.gid(world.station_a)},
        {"weekday": 3, "startTime": "14:00", "endTime": "16:00", "stationId": "bogus"}])
    assert user_error_codes(bad) == [("INVALID_INPUT", "slots[0].weekday"), ("INVALID_INPUT", "slots[1].startTime"),
                                     ("INVALID_INPUT", "slots[2].endTime"), ("INVALID_INPUT", "slots[4].stationId")]
    first = ok(await set_availability(api, world, [{"weekday": 5, "startTime": "18:00", "endTime": "20:00"}]))
    assert first["instructor"]["weeklyAvailability"] == [{"weekday": 5, "startTime": "18:00", "endTime": "20:00",
                                                         "station": None}]
    ok(await set_availability(api, world, [
        {"weekday": 3, "startTime": "14:00", "endTime": "16:00"},
        {"weekday": 1, "startTime": "09:00", "endTime": "12:00", "stationId": world.gid(world.station_a)}]))
    window = {"from": dt.datetime.now(dt.UTC).isoformat(), "to": (dt.datetime.now(dt.UTC)
                                                                   + dt.timedelta(days=1)).isoformat()}
    home = (await api.data(INSTRUCTOR_HOME, window, token=world["instructor"].token))["viewer"]["instructorProfile"]
    assert [(w["weekday"], w["startTime"], w["endTime"], w["station"] and w["station"]["name"])
            for w in home["weeklyAvailability"]] == [(1, "09:00", "12:00", "友谊社区家庭教育服务站"),
                                                     (3, "14:00", "16:00", None)]
    assert home["certificateNumber"] == "BTJY-2025-0001" and home["certificationStatus"] == "ACTIVE"
    not_instructor = await api.gql(
        "mutation { setInstructorAvailability(input: {slots: []}) { userErrors { code } } }",
        token=world["teacher_a"].token)
    assert error_codes(not_instructor) == ["FORBIDDEN"]


async def test_slots_are_the_availability_minus_bookings_and_sessions_in_shanghai_time(api, world):
    ok(await set_availability(api, world, [
        {"weekday": 1, "startTime": "09:00", "endTime": "12:00", "stationId": world.gid(world.station_a)},
        {"weekday": 3, "startTime": "14:00", "endTime": "16:30"}]))
    monday = next_weekday(1, weeks=1)
    wednesday = monday + dt.timedelta(days=2)

    async def slots(**override) -> list[tuple[dt.datetime, str | None]]:
        variables = {"id": world.gid(world.instructor), "from": monday.isoformat(), "to": wednesday.isoformat(),
                     "durationMinutes": 60} | override
        node = (await api.data(SLOTS, variables, token=world["parent_a"].token))["node"]
        return [(dt.datetime.fromisoformat(s["startsAt"]).astimezone(SHANGHAI).replace(tzinfo=None),
                 s["station"] and s["station"]["name"]) for s in node["availableSlots"]]

    def at(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour))

    station = "友谊社区家庭教育服务站"
    assert await slots() == [(at(monday, 9), station), (at(monday, 10), station), (at(monday, 11), station),
                             (at(wednesday, 14), None), (at(wednesday, 15), None)]
    # a session the instructor teaches on Wednesday 14:30–15:30 takes both Wednesday slots it touches
    course = await create_course(api, world)
    starts = dt.datetime.combine(wednesday, dt.time(14, 30), tzinfo=SHANGHAI)
    await schedule_session(api, world, course, starts=starts, hours=1)
    assert [s for s, _ in await slots()] == [at(monday, 9), at(monday, 10), at(monday, 11)]
    assert [s for s, _ in await slots(durationMinutes=90, to=monday.isoformat())] == [
        at(monday, 9), at(monday, 9) + dt.timedelta(minutes=90)]
    too_long = await api.gql(SLOTS, {"id": world.gid(world.instructor), "from": monday.isoformat(),
                                     "to": (monday + dt.timedelta(days=40)).isoformat(), "durationMinutes": 60},
                             token=world["parent_a"].token)
    assert error_codes(too_long) == ["INVALID_INPUT"] and too_long["errors"][0]["extensions"]["field"] == "to"


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6378.168 * math.asin(math.sqrt(h))  # earthdistance's sphere


async def test_stations_near_come_nearest_first_with_great_circle_distances_and_opening_hours(api, world):
    today = dt.datetime.now(SHANGHAI).isoweekday()
    other_day = today % 7 + 1
    places = {"钢铁社区服务站": (40.6600, 109.8500, [{"weekday": d, "opensAt": "00:00", "closesAt": "23:59"}
                                                 for d in range(1, 8)]),
              "青山社区服务站": (40.6500, 109.9000, [{"weekday": other_day, "opensAt": "09:00", "closesAt": "17:00"}]),
              "石拐社区服务站": (40.7000, 110.2700, [])}  # about 36 km away
    for name, (lat, lon, hours) in places.items():
        body = await api.data(CREATE_STATION, {"input": {
            "districtId": world.gid(world.district_a), "name": name, "community": name[:4], "address": "某路 1 号",
            "latitude": lat, "longitude": lon, "phone": "0472-1234567", "services": ["家庭教育咨询"],
            "openingHours": hours}}, token=world["district_admin_a"].token)
        ok(body["createServiceStation"])
    me = (40.6580, 109.8420)
    near = (await api.data(NEAR, {"latitude": me[0], "longitude": me[1], "radiusKm": 10, "first": 10},
                           token=world["parent_a"].token))["serviceStationsNear"]
    assert [n["station"]["name"] for n in near] == ["友谊社区家庭教育服务站", "钢铁社区服务站", "青山社区服务站"]
    for entry in near:
        where = entry["station"]["location"]
        assert math.isclose(entry["distanceKm"], _haversine_km(me, (where["latitude"], where["longitude"])),
                            rel_tol=1e-3, abs_tol=1e-3), entry
    assert [n["station"]["isOpenNow"] for n in near][1:] == [True, False]
    assert near[0]["station"]["instructors"] == [{"id": world.gid(world.instructor), "displayName": "家庭教育指导师",
                                                  "specialties": ["亲子沟通", "青春期"]}]
    assert near[2]["station"]["openingHours"] == [{"weekday": other_day, "opensAt": "09:00", "closesAt": "17:00"}]
    wider = (await api.data(NEAR, {"latitude": me[0], "longitude": me[1], "radiusKm": 50, "first": 2},
                            token=world["parent_a"].token))["serviceStationsNear"]
    assert len(wider) == 2
    everything = (await api.data(NEAR, {"latitude": me[0], "longitude": me[1], "radiusKm": 50, "first": 10},
                                 token=world["parent_a"].token))["serviceStationsNear"]
    assert everything[-1]["station"]["name"] == "石拐社区服务站" and 30 < everything[-1]["distanceKm"] < 40
    refused = await api.gql(NEAR, {"latitude": 91, "longitude": 0, "radiusKm": 0, "first": 5},
                            token=world["parent_a"].token)
    assert error_codes(refused) == ["INVALID_INPUT"]


async def test_a_station_needs_sane_coordinates_and_hours(api, world):
    body = await api.data(CREATE_STATION, {"input": {
        "districtId": world.gid(world.district_a), "name": "x", "community": "x", "address": "x", "latitude": 100,
        "longitude": 200, "services": [], "openingHours": [{"weekday": 0, "opensAt": "18:00", "closesAt": "09:00"}]}},
        token=world["district_admin_a"].token, headers={"accept-language": "en"})
    assert user_error_codes(body["createServiceStation"]) == [
        ("INVALID_INPUT", "latitude"), ("INVALID_INPUT", "longitude"), ("INVALID_INPUT", "openingHours[0].weekday"),
        ("INVALID_INPUT", "openingHours[0].closesAt")]


async def test_finding_stations_uses_the_spatial_index_among_thousands(api, world):
    db = connections.get("default")
    await db.execute_query(
        "INSERT INTO service_station (id, district_id, name, community, address, latitude, longitude, services, "
        "opening_hours) SELECT gen_random_uuid(), $1, '站' || i, '', '', 40 + random(), 109 + random(), '[]', '[]' "
        "FROM generate_series(1, 5000) AS i", [world.district_a.id])
    await db.execute_query("ANALYZE service_station")
    plan = await db.execute_query_dict("EXPLAIN " + _NEAR.replace("$1", "40.5").replace("$2", "109.5")
                                       .replace("$3", "5000").replace("$4", "10"))
    text = "\n".join(row["QUERY PLAN"] for row in plan)
    assert "service_station_location" in text, text
