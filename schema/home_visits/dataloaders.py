"""Loaders of home visits; a visible visit carries the viewer's tier."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial

from strawberry.dataloader import DataLoader

from schema.common.dataloaders import LoaderSet, id_key, row_key
from services.access import Principal
from services.home_visits import queries as home_visits
from services.home_visits.models import HomeVisit, HomeVisitSlot, HomeVisitTransition
from services.home_visits.queries import VisibleVisit


class HomeVisitLoaders(LoaderSet):
    @property
    def visible_visit(self) -> DataLoader[uuid.UUID, VisibleVisit | None]:
        return self._get("visible_visit", self._viewer(home_visits.visible_visits_by_id))

    @property
    def visit_address(self) -> DataLoader[VisibleVisit, str | None]:
        return self._get("visit_address", self._viewer(home_visits.read_addresses), key=row_key)

    @property
    def visit_slots(self) -> DataLoader[HomeVisit, list[HomeVisitSlot]]:
        return self._get("visit_slots", home_visits.current_slots, key=id_key)

    @property
    def visit_companions(self) -> DataLoader[uuid.UUID, list[uuid.UUID]]:
        return self._get("visit_companions", home_visits.companions_of)

    @property
    def visit_transitions(self) -> DataLoader[uuid.UUID, list[HomeVisitTransition]]:
        return self._get("visit_transitions", home_visits.transitions_of)

    @property
    def upcoming_visits_by_student(self) -> DataLoader[uuid.UUID, list[VisibleVisit]]:
        return self._get("upcoming_visits_by_student", partial(_upcoming_visits, self._signed_in, self.visit_slots))

    def prime_upcoming_visits(self, student_ids: Sequence[uuid.UUID], upcoming: home_visits.Upcoming) -> None:
        """The students' upcoming visits, read beforehand (``upcoming_of_own_children``)."""
        self.upcoming_visits_by_student.prime_many(dict(zip(student_ids, upcoming.of(student_ids), strict=True)))
        _prime_slots(self.visit_slots, upcoming)

    @property
    def last_visit_by_student(self) -> DataLoader[uuid.UUID, VisibleVisit | None]:
        return self._get("last_visit_by_student", self._viewer(home_visits.last_of_students))


async def _upcoming_visits(viewer: Principal, slots: DataLoader[HomeVisit, list[HomeVisitSlot]],
                           student_ids: Sequence[uuid.UUID]) -> list[list[VisibleVisit]]:
    upcoming = await home_visits.upcoming_of_students(viewer, student_ids)
    _prime_slots(slots, upcoming)
    return upcoming.of(student_ids)


def _prime_slots(slots: DataLoader[HomeVisit, list[HomeVisitSlot]], upcoming: home_visits.Upcoming) -> None:
    # read with the visits: their proposed slots resolve at once
    slots.prime_many({visit.row: upcoming.slots[visit.row.id]
                      for visits in upcoming.by_student.values() for visit in visits})
