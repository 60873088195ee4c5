"""Loaders of the organisation: districts, schools, classes, students, people and their grants."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from functools import partial
from typing import cast

from strawberry.dataloader import DataLoader

from schema.common.dataloaders import LoaderSet, holds_value
from services.access import Principal, RoleGrant
from services.identity.models import User, UserName
from services.organisation import home_addresses
from services.organisation import queries as organisation
from services.organisation.models import (
    District,
    Guardianship,
    School,
    SchoolClass,
    ServiceStation,
    Student,
    StudentTransfer,
)


class OrganisationLoaders(LoaderSet):
    def prime_children(self, children: Sequence[organisation.Child]) -> None:
        """Hand the rows read with a guardian's children to the loaders that would fetch them again."""
        for child in children:
            self.school_class.prime(child.school_class.id, child.school_class)
            self.prime_school(child.school, child.district)
            if child.homeroom_teacher is not None:
                self.user_name.prime(child.homeroom_teacher.id, child.homeroom_teacher)

    def prime_venue(self, venue: School | ServiceStation) -> None:
        """A school or station read with what takes place there."""
        if isinstance(venue, School):
            self.school.prime(venue.id, venue)
        else:
            self.station.prime(venue.id, venue)

    def prime_school(self, school: School, district: District) -> None:
        _prime_school(self.school, self.district, school, district)

    def holds_school(self, school_id: uuid.UUID) -> bool:
        """Whether a school and its district are loaded already (they resolve at once)."""
        school = self.school.cache_map.get(school_id)
        return holds_value(school) and holds_value(self.district.cache_map.get(school.result().district_id))

    async def school_and_district(self, school_id: uuid.UUID) -> None:
        """Have a school and its district loaded, in one statement if neither is."""
        if self.school.cache_map.get(school_id) is not None:
            school = await self.school.load(school_id)
            if school is not None:
                await self.district.load(school.district_id)
            return
        for school, district in await organisation.schools_with_districts([school_id]):
            self.prime_school(school, district)

    # rows reached from an object the viewer already sees
    @property
    def district(self) -> DataLoader[uuid.UUID, District | None]:
        return self._get("district", organisation.districts_by_id)

    @property
    def school(self) -> DataLoader[uuid.UUID, School | None]:
        return self._get("school", organisation.schools_by_id)

    @property
    def station(self) -> DataLoader[uuid.UUID, ServiceStation | None]:
        return self._get("station", organisation.stations_by_id)

    @property
    def school_class(self) -> DataLoader[uuid.UUID, SchoolClass | None]:
        return self._get("school_class", organisation.classes_by_id)

    @property
    def user(self) -> DataLoader[uuid.UUID, User | None]:
        return self._get("user", organisation.users_by_id)

    @property
    def user_name(self) -> DataLoader[uuid.UUID, User | UserName | None]:
        """By id: a person as a reference to them shows them (id and name). Names read with other rows
        (a guardian's children's homeroom teachers) are primed here, never into ``user``, which holds
        whole rows; an id not primed is read whole, through ``user``."""
        return self._get("user_name", partial(_whole_users, self.user))

    def named(self, user_id: uuid.UUID) -> Awaitable[User | UserName]:
        """A person for a reference to them, by an id a row holds in a foreign key (``referenced``: they
        exist): the name primed in ``user_name``, else their whole row from ``user``, in the batch
        every other reference to a person joins (as if ``user_name`` were not there)."""
        held = self.user_name.cache_map.get(user_id)
        return cast("Awaitable[User | UserName]", held if held is not None else self.user.load(user_id))

    @property
    def student(self) -> DataLoader[uuid.UUID, Student | None]:
        return self._get("student", organisation.students_by_id)

    @property
    def visible_student_count(self) -> DataLoader[uuid.UUID, int | None]:
        return self._get("visible_student_count", self._viewer(organisation.visible_student_counts))

    @property
    def teachers_by_class(self) -> DataLoader[uuid.UUID, list[User]]:
        return self._get("teachers_by_class", organisation.teachers_of_classes)

    @property
    def guardianships_by_student(self) -> DataLoader[uuid.UUID, list[Guardianship]]:
        return self._get("guardianships_by_student", organisation.guardianships_of_students)

    @property
    def guardian_address(self) -> DataLoader[uuid.UUID, home_addresses.GuardianAddress]:
        """By guardianship id: whether its guardian has a home address on file, and the address for
        whom may read it (each read audited)."""
        return self._get("guardian_address", self._viewer(home_addresses.of_guardianships))

    @property
    def visible_grants_by_user(self) -> DataLoader[uuid.UUID, list[RoleGrant]]:
        return self._get("visible_grants_by_user", self._viewer(organisation.visible_grants_of_users))

    @property
    def transfers_by_student(self) -> DataLoader[uuid.UUID, list[StudentTransfer]]:
        return self._get("transfers_by_student", organisation.transfers_of_students)

    # filtered by what the viewer may see
    @property
    def visible_student(self) -> DataLoader[uuid.UUID, Student | None]:
        return self._get("visible_student", self._viewer(organisation.visible_students_by_id))

    @property
    def visible_class(self) -> DataLoader[uuid.UUID, SchoolClass | None]:
        return self._get("visible_class", partial(_visible_classes, self._signed_in, self.school, self.district))

    @property
    def visible_user(self) -> DataLoader[uuid.UUID, User | None]:
        return self._get("visible_user", self._viewer(organisation.visible_users_by_id))

    @property
    def visible_students_by_class(self) -> DataLoader[uuid.UUID, list[Student]]:
        return self._get("visible_students_by_class", self._viewer(organisation.visible_students_of_classes))


# The loaders' functions that use other loaders: given those loaders, never the set (see ``LoaderSet._get``).


async def _whole_users(users: DataLoader[uuid.UUID, User | None], ids: Sequence[uuid.UUID]
                       ) -> list[User | UserName | None]:
    return [*await users.load_many(ids)]


async def _visible_classes(viewer: Principal, schools: DataLoader[uuid.UUID, School | None],
                           districts: DataLoader[uuid.UUID, District | None], ids: Sequence[uuid.UUID]
                           ) -> list[SchoolClass | None]:
    rows = await organisation.visible_classes_by_id(viewer, ids)
    for row in rows:
        if row is not None:  # fetched with the class: its school and district resolve at once
            _prime_school(schools, districts, row.school, row.school.district)
    return rows


def _prime_school(schools: DataLoader[uuid.UUID, School | None], districts: DataLoader[uuid.UUID, District | None],
                  school: School, district: District) -> None:
    schools.prime(school.id, school)
    districts.prime(district.id, district)
