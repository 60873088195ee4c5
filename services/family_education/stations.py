"""Community service stations: creation, opening hours, and finding the nearest."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from tortoise import connections

from services import access
from services.access import Principal
from services.clock import PROGRAMME_ZONE
from services.errors import Checks, ErrorCode
from services.family_education.weekly import check_window
from services.organisation.models import District, ServiceStation


@dataclass(frozen=True)
class OpeningHours:
    weekday: int
    opens_at: str
    closes_at: str


@dataclass(frozen=True)
class StationDraft:
    district_id: uuid.UUID | None
    name: str
    community: str
    address: str
    latitude: float
    longitude: float
    phone: str | None
    services: list[str]
    opening_hours: list[OpeningHours]


def check_hours(checks: Checks, hours: list[OpeningHours]) -> list[dict[str, object]]:
    clean = []
    for index, entry in enumerate(hours):
        check_window(checks, f"openingHours[{index}]", entry.weekday, entry.opens_at, entry.closes_at,
                     start_name="opensAt", end_name="closesAt")
        clean.append({"weekday": entry.weekday, "opensAt": entry.opens_at, "closesAt": entry.closes_at})
    return sorted(clean, key=lambda h: (h["weekday"], h["opensAt"]))


async def create(actor: Principal, draft: StationDraft) -> ServiceStation:
    checks = Checks()
    district = await District.get_or_none(id=draft.district_id) if draft.district_id else None
    if district is None:
        checks.add(ErrorCode.NOT_FOUND, "not_found", "districtId")
    name = checks.text("name", draft.name, max_length=100)
    community = checks.text("community", draft.community, max_length=100)
    address = checks.text("address", draft.address, max_length=200)
    phone = checks.text("phone", draft.phone, max_length=32, required=False)
    if not -90 <= draft.latitude <= 90:
        checks.invalid("latitude", "out_of_range", min=-90, max=90)
    if not -180 <= draft.longitude <= 180:
        checks.invalid("longitude", "out_of_range", min=-180, max=180)
    if len(draft.services) > 20:
        checks.invalid("services", "too_many_items", max=20)
    services = [t for i, s in enumerate(draft.services[:20]) if (t := checks.text(f"services[{i}]", s, max_length=50))]
    hours = check_hours(checks, draft.opening_hours)
    checks.raise_if_any()
    assert district is not None
    access.require(access.may_administer_district(actor, district.id))
    return await ServiceStation.create(
        district_id=district.id, name=name, community=community, address=address, latitude=draft.latitude,
        longitude=draft.longitude, phone=phone, services=services, opening_hours=hours)


def is_open(station: ServiceStation, now: dt.datetime) -> bool:
    """Open at ``now``, by the opening hours in the programme's zone."""
    local = now.astimezone(PROGRAMME_ZONE)
    moment = local.strftime("%H:%M")
    return any(h["weekday"] == local.isoweekday() and h["opensAt"] <= moment < h["closesAt"]
               for h in station.opening_hours or ())


@dataclass(frozen=True)
class Nearby:
    station: ServiceStation
    distance_km: float


_NEAR = """
SELECT id, earth_distance(ll_to_earth($1, $2), ll_to_earth(latitude, longitude)) AS metres
  FROM service_station
 WHERE latitude IS NOT NULL
   AND earth_box(ll_to_earth($1, $2), $3) @> ll_to_earth(latitude, longitude)
   AND earth_distance(ll_to_earth($1, $2), ll_to_earth(latitude, longitude)) <= $3
 ORDER BY metres, id
 LIMIT $4
"""


async def near(latitude: float, longitude: float, radius_km: float, first: int) -> list[Nearby]:
    """Stations within the radius, nearest first, by great-circle distance (the GiST index on
    ll_to_earth narrows the search to a box first)."""
    checks = Checks()
    if not -90 <= latitude <= 90:
        checks.invalid("latitude", "out_of_range", min=-90, max=90)
    if not -180 <= longitude <= 180:
        checks.invalid("longitude", "out_of_range", min=-180, max=180)
    if not 0 < radius_km <= 100:
        checks.invalid("radiusKm", "out_of_range", min=0, max=100)
    if not 0 <= first <= 100:
        checks.invalid("first", "out_of_range", min=0, max=100)
    checks.raise_if_any()
    rows = await connections.get("default").execute_query_dict(_NEAR, [latitude, longitude, radius_km * 1000, first])
    stations = {s.id: s for s in await ServiceStation.filter(id__in=[r["id"] for r in rows])}
    return [Nearby(stations[r["id"]], round(r["metres"] / 1000, 3)) for r in rows]

