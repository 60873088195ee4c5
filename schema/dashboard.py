"""The programme dashboard: targets and actuals for the city or one district."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.common.ids import decode_id
from schema.context import Context
from schema.organisation.types import District
from schema.wellbeing.types import AlertSeverity
from services import dashboard

Info = strawberry.Info[Context, None]


@strawberry.type(description="A figure and the programme's target for it.")
class TargetFigure:
    actual: int = strawberry.field(description="Where the programme stands.")
    target: int = strawberry.field(description="The target: the city's, or a district's even share of it.")


@strawberry.type(description="Open alerts of one severity.")
class SeverityCount:
    severity: AlertSeverity = strawberry.field(description="The severity.")
    count: int | None = strawberry.field(description="How many are open; null when 1 to 4 (withheld).")


@strawberry.type(description="How alerts raised in the year were handled. Counts from 1 to 4 are withheld (null), "
                             "so that no child can be singled out.")
class AlertFigures:
    raised: int | None = strawberry.field(description="Alerts raised in the year.")
    acknowledged: int | None = strawberry.field(description="Of those, acknowledged.")
    acknowledged_in_time: int | None = strawberry.field(
        description="Of those, acknowledged before the school level's deadline.")
    median_minutes_to_acknowledge: float | None = strawberry.field(
        description="Median minutes from raising to acknowledgement; null under five acknowledgements.")
    open_by_severity: list[SeverityCount] = strawberry.field(
        description="Alerts open now (not resolved), whenever raised, by severity.")


@strawberry.type(description="One district's figures for the year.")
class DistrictFigures:
    district: District = strawberry.field(description="The district.")
    families_visited: int = strawberry.field(description="Students whose home was visited (visits completed).")
    teachers_visiting: int = strawberry.field(description="Teachers who completed at least one visit.")
    alerts_raised: int | None = strawberry.field(description="Alerts raised; null when 1 to 4 (withheld).")
    trained_teachers: int = strawberry.field(description="Its schools' teachers who completed a TEACHER course in the "
                                                         "year.")


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
    pilot_schools: TargetFigure = strawberry.field(description="Family-education pilot schools.")
    certified_instructors: TargetFigure = strawberry.field(
        description="Instructors certified and current on the year's last day (or today), not suspended.")
    service_stations: TargetFigure = strawberry.field(description="Community service stations.")
    teachers_visiting: TargetFigure = strawberry.field(description="Teachers who completed at least one home visit.")
    families_visited: TargetFigure = strawberry.field(description="Students whose home was visited.")
    home_visits_completed: int = strawberry.field(description="Home visits completed.")
    course_enrollments: int = strawberry.field(
        description="Family-course enrolments made in the year (in a district: by parents of its schools' children).")
    course_completions: int = strawberry.field(description="Family courses completed in the year.")
    trained_teachers: int = strawberry.field(
        description="Teachers who completed a TEACHER course (guidance training) in the year, each counted once.")
    notices: NoticeFigures = strawberry.field(description="School notices.")
    column: ColumnFigures = strawberry.field(description="The 静待花开 family-education column.")
    alerts: AlertFigures = strawberry.field(description="Wellbeing alerts, withheld where small.")
    by_district: list[DistrictFigures] = strawberry.field(
        description="Each district's figures (the one asked for, or all of them).")

    @classmethod
    def of(cls, figures: dashboard.Dashboard) -> ProgrammeDashboard:
        def target(figure: dashboard.Figure) -> TargetFigure:
            return TargetFigure(actual=figure.actual, target=figure.target)

        alerts = figures.alerts
        return cls(
            pilot_schools=target(figures.pilot_schools),
            certified_instructors=target(figures.certified_instructors),
            service_stations=target(figures.service_stations),
            teachers_visiting=target(figures.teachers_visiting),
            families_visited=target(figures.families_visited),
            home_visits_completed=figures.home_visits_completed,
            course_enrollments=figures.course_enrollments,
            course_completions=figures.course_completions,
            trained_teachers=figures.trained_teachers,
            notices=NoticeFigures(sent=figures.notices.sent, confirmation_rate=figures.notices.confirmation_rate),
            column=ColumnFigures(views=figures.column.views, completions=figures.column.completions),
            alerts=AlertFigures(
                raised=alerts.raised, acknowledged=alerts.acknowledged,
                acknowledged_in_time=alerts.acknowledged_in_time,
                median_minutes_to_acknowledge=alerts.median_minutes_to_acknowledge,
                open_by_severity=[SeverityCount(severity=s, count=n) for s, n in alerts.open_by_severity]),
            by_district=[DistrictFigures(district=District.of(d.district), families_visited=d.families_visited,
                                             teachers_visiting=d.teachers_visiting, alerts_raised=d.alerts_raised,
                                             trained_teachers=d.trained_teachers)
                         for d in figures.by_district],
        )


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
        figures = await dashboard.dashboard_for(info.context.principal, year, district)
        return ProgrammeDashboard.of(figures) if figures else None
