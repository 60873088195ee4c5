"""The programme dashboard: targets and actuals for the city or one district."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.common.ids import decode_id
from schema.context import Context
from schema.organisation.types import District
from schema.wellbeing.enums import AlertSeverity
from services import dashboard

Info = strawberry.Info[Context, None]


@strawberry.type(description="A figure and the programme's target for it.")
class TargetFigure:
    actual: int = strawberry.field(description="Where the programme stands.")
    target: int = strawberry.field(description="The target: the city's, or a district's even share of it.")

    @classmethod
    def of(cls, figure: dashboard.Figure) -> TargetFigure:
        return cls(actual=figure.actual, target=figure.target)


@strawberry.type(description="Open alerts of one severity.")
class SeverityCount:
    severity: AlertSeverity = strawberry.field(description="The severity.")
    count: int | None = strawberry.field(description="How many are open; null when 1 to 4 (withheld).")


# The figure types below resolve each field from the dashboard's reads, so that a selection runs
# only the statements of the figures it names.


@strawberry.type(description="How alerts raised in the year were handled. Counts from 1 to 4 are withheld (null), "
                             "so that no child can be singled out.")
class AlertFigures:
    figures: strawberry.Private[dashboard.Dashboard]

    @strawberry.field(description="Alerts raised in the year.")
    async def raised(self) -> int | None:
        return (await self.figures.alert_handling()).raised

    @strawberry.field(description="Of those, acknowledged.")
    async def acknowledged(self) -> int | None:
        return (await self.figures.alert_handling()).acknowledged

    @strawberry.field(description="Of those, acknowledged before the school level's deadline.")
    async def acknowledged_in_time(self) -> int | None:
        return (await self.figures.alert_handling()).acknowledged_in_time

    @strawberry.field(description="Median minutes from raising to acknowledgement; null under five acknowledgements.")
    async def median_minutes_to_acknowledge(self) -> float | None:
        return (await self.figures.alert_handling()).median_minutes_to_acknowledge

    @strawberry.field(description="Alerts open now (not resolved), whenever raised, by severity.")
    async def open_by_severity(self) -> list[SeverityCount]:
        return [SeverityCount(severity=s, count=n) for s, n in await self.figures.open_alerts()]


@strawberry.type(description="One district's figures for the year.")
class DistrictFigures:
    figures: strawberry.Private[dashboard.DistrictFigures]

    @strawberry.field(description="The district.")
    def district(self) -> District:
        return District.of(self.figures.district)

    @strawberry.field(description="Students whose home was visited (visits completed).")
    async def families_visited(self) -> int:
        return await self.figures.families_visited()

    @strawberry.field(description="Teachers who completed at least one visit.")
    async def teachers_visiting(self) -> int:
        return await self.figures.teachers_visiting()

    @strawberry.field(description="Alerts raised; null when 1 to 4 (withheld).")
    async def alerts_raised(self) -> int | None:
        return await self.figures.alerts_raised()

    @strawberry.field(description="Its schools' teachers who completed a TEACHER course in the year.")
    async def trained_teachers(self) -> int:
        return await self.figures.trained_teachers()


@strawberry.type(description="School notices of the year.")
class NoticeFigures:
    sent: int = strawberry.field(description="Notices sent in the year to audiences in the city or district, not "
                                             "recalled.")
    confirmation_rate: float | None = strawberry.field(
        description="0 to 1: confirmed receipts over receipts of notices asking for confirmation (CONFIRM, "
                    "SIGNATURE); null when there are none, or fewer than five.")


@strawberry.type(description="The 静待花开 column in the year; counts of 1 to 4 are withheld (null).")
class ColumnFigures:
    views: int | None = strawberry.field(description="Progress begun on an episode in the year (a person once per "
                                                     "episode).")
    completions: int | None = strawberry.field(description="Episodes finished in the year.")


@strawberry.type(description="The programme's progress against its targets for a calendar year (Asia/Shanghai).")
class ProgrammeDashboard:
    figures: strawberry.Private[dashboard.Dashboard]

    @strawberry.field(description="Family-education pilot schools.")
    async def pilot_schools(self) -> TargetFigure:
        return TargetFigure.of(await self.figures.pilot_schools())

    @strawberry.field(description="Instructors certified and current on the year's last day (or today), not "
                                  "suspended.")
    async def certified_instructors(self) -> TargetFigure:
        return TargetFigure.of(await self.figures.certified_instructors())

    @strawberry.field(description="Community service stations.")
    async def service_stations(self) -> TargetFigure:
        return TargetFigure.of(await self.figures.service_stations())

    @strawberry.field(description="Teachers who completed at least one home visit.")
    async def teachers_visiting(self) -> TargetFigure:
        return TargetFigure.of(await self.figures.teachers_visiting())

    @strawberry.field(description="Students whose home was visited.")
    async def families_visited(self) -> TargetFigure:
        return TargetFigure.of(await self.figures.families_visited())

    @strawberry.field(description="Home visits completed.")
    async def home_visits_completed(self) -> int:
        return await self.figures.home_visits_completed()

    @strawberry.field(description="Family-course enrolments made in the year (in a district: by parents of its "
                                  "schools' children).")
    async def course_enrollments(self) -> int:
        return await self.figures.course_enrollments()

    @strawberry.field(description="Family courses completed in the year.")
    async def course_completions(self) -> int:
        return await self.figures.course_completions()

    @strawberry.field(description="Teachers who completed a TEACHER course (guidance training) in the year, each "
                                  "counted once.")
    async def trained_teachers(self) -> int:
        return await self.figures.trained_teachers()

    @strawberry.field(description="School notices.")
    async def notices(self) -> NoticeFigures:
        figures = await self.figures.notices()
        return NoticeFigures(sent=figures.sent, confirmation_rate=figures.confirmation_rate)

    @strawberry.field(description="The 静待花开 family-education column.")
    async def column(self) -> ColumnFigures:
        figures = await self.figures.column()
        return ColumnFigures(views=figures.views, completions=figures.completions)

    @strawberry.field(description="Wellbeing alerts, withheld where small.")
    def alerts(self) -> AlertFigures:
        return AlertFigures(figures=self.figures)

    @strawberry.field(description="Each district's figures (the one asked for, or all of them).")
    def by_district(self) -> list[DistrictFigures]:
        return [DistrictFigures(figures=d) for d in self.figures.by_district]


@strawberry.type
class DashboardQueries:
    @strawberry.field(description="The programme's progress for a calendar year: the city (city administrators) "
                                  "or one district (its administrators too); null for an unknown district.")
    async def programme_dashboard(
        self, info: Info,
        year: Annotated[int, strawberry.argument(description="Calendar year, in the programme's zone.")],
        district_id: Annotated[strawberry.ID | None, strawberry.argument(description="One district.")] = None,
    ) -> ProgrammeDashboard | None:
        district = decode_id(district_id, "District") if district_id else None
        if district_id and district is None:
            return None
        figures = await dashboard.dashboard_for(info.context.viewer, year, district)
        return ProgrammeDashboard(figures=figures) if figures else None
