"""Reads of the organisation at the root."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.common.connection import After, Connection, First, connection, page_window
from schema.common.ids import decode_id
from schema.context import Context
from schema.organisation.inputs import SchoolFilter
from schema.organisation.types import District, School
from services.organisation import queries

Info = strawberry.Info[Context, None]


@strawberry.type
class OrganisationQueries:
    @strawberry.field(description="The city's districts, banners and counties, in their official order.")
    async def districts(self) -> list[District]:
        return [District.of(row) for row in await queries.districts()]

    @strawberry.field(description="The school directory, by name.")
    async def schools(
        self, info: Info, first: First, after: After = None,
        filter: Annotated[SchoolFilter | None, strawberry.argument(description="Narrows the directory.")] = None,
    ) -> Connection[School]:
        size, position = page_window(first, after, info.context.language)
        wanted = queries.SchoolFilter()
        if filter is not None:
            district_id = decode_id(filter.district_id, "District") if filter.district_id else None
            wanted = queries.SchoolFilter(
                district_id=district_id,
                pilot_only=bool(filter.pilot_only),
                search=filter.search,
                stage=filter.stage,
                impossible=filter.district_id is not None and district_id is None,
            )
        return connection(await queries.schools(wanted, first=size, after=position), School.of)
