"""The GraphQL surface: the root types composed from each domain, and the schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from schema.account.resolvers import AccountMutations, AccountQueries
from schema.audit.resolvers import AuditQueries
from schema.audit.types import AuditEvent, RecordReference
from schema.column.resolvers import ColumnMutations, ColumnQueries
from schema.column.types import ColumnEpisode
from schema.common.direct import DirectCalls, call_resolvers_directly, resolve_lazy_arguments
from schema.common.engine_internals import graphql_schema
from schema.common.errors import ErrorPresentation, present_errors
from schema.common.guard import guard_root_fields
from schema.common.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, QueryCost
from schema.common.node import Node, resolve_node
from schema.common.plans import Plans
from schema.common.scalars import SCALARS
from schema.common.shared_objects import Executor
from schema.context import Context
from schema.dashboard import DashboardQueries
from schema.family_education.resolvers import FamilyEducationMutations, FamilyEducationQueries
from schema.family_education.types import (
    Consultation,
    Course,
    CourseSession,
    CourseSessionWaitlistEntry,
    Enrollment,
    Instructor,
    Lesson,
    SessionRegistration,
)
from schema.home_visits.resolvers import HomeVisitMutations, HomeVisitQueries
from schema.home_visits.types import HomeVisit
from schema.notices.resolvers import NoticeMutations
from schema.notices.types import Notice
from schema.notifications.resolvers import NotificationMutations, NotificationSubscriptions
from schema.notifications.types import Notification, PushDevice
from schema.organisation.mutations import OrganisationMutations
from schema.organisation.queries import OrganisationQueries
from schema.organisation.types import District, School, SchoolClass, ServiceStation, Student, User
from schema.roster.resolvers import RosterMutations, RosterQueries
from schema.roster.types import RosterImport
from schema.wellbeing.resolvers import WellbeingMutations, WellbeingQueries, WellbeingSubscriptions
from schema.wellbeing.types import WellbeingAlert, WellbeingShare

Info = strawberry.Info[Context, None]


@strawberry.type(description="Everything that can be read.")
class Query(AccountQueries, OrganisationQueries, AuditQueries, WellbeingQueries, HomeVisitQueries,
            FamilyEducationQueries, ColumnQueries, DashboardQueries, RosterQueries):
    @strawberry.field(
        description="Any object by its global id; null if it does not exist or the viewer may not see it."
    )
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the object.")]
    ) -> Node | None:
        return await resolve_node(info.context, id)


@strawberry.type(description="Everything that can be changed. Each mutation takes one `input` and returns a "
                             "payload whose `userErrors` say why nothing changed.")
class Mutation(AccountMutations, OrganisationMutations, WellbeingMutations, NotificationMutations,
               HomeVisitMutations, FamilyEducationMutations, ColumnMutations, NoticeMutations, RosterMutations):
    pass


@strawberry.type(description="Live feeds, over graphql-transport-ws on /graphql.")
class Subscription(WellbeingSubscriptions, NotificationSubscriptions):
    pass


guard_root_fields(Query, Mutation, Subscription)

NODE_TYPES = [District, School, SchoolClass, ServiceStation, Student, User, AuditEvent, WellbeingAlert,
              WellbeingShare, Notification, PushDevice, RecordReference, HomeVisit, Course, Lesson, Enrollment,
              CourseSession, CourseSessionWaitlistEntry, SessionRegistration, Instructor, Consultation, ColumnEpisode,
              Notice, RosterImport]


class _ProductionErrors(ErrorPresentation):
    production = True


class CoeduSchema(strawberry.Schema):
    production = False
    #: The compiled plans of the queries this schema has executed (schema.common.plans).
    plans: Plans

    async def execute(self, query: str | None, variable_values: dict[str, Any] | None = None,
                      context_value: Any | None = None, root_value: Any | None = None,
                      operation_name: str | None = None,
                      allowed_operation_types: Iterable[OperationType] | None = None,
                      operation_extensions: dict[str, Any] | None = None) -> ExecutionResult:
        """A query already executed once runs from its compiled plan; anything else, and a query seen
        for the first time, the usual way (parsed, validated with every rule, executed), after which
        it is compiled."""
        document = query if root_value is None and allowed_operation_types is None and operation_extensions is None \
            else None
        if document is not None and (plan := self.plans.get(document, operation_name)) is not None:
            result = await plan.run(context_value, variable_values)
            if result is not None:
                return result
        result = await super().execute(query, variable_values, context_value, root_value, operation_name,
                                       allowed_operation_types, operation_extensions)
        if document is not None and not self.plans.known(document, operation_name) and not is_request_error(result):
            self.plans.learn(document, operation_name)
        return result

    def process_errors(self, errors, execution_context=None) -> None:
        # Instead of strawberry's logging (which prints the query text, personal data included): the
        # errors are presented in place, so each subscription event carries codes and masked messages.
        context = execution_context.context if execution_context is not None else None
        present_errors(errors, context, production=self.production)


def is_request_error(result: ExecutionResult) -> bool:
    """Whether a document was refused before execution (it did not parse, validate or fit its
    variables): the response has no data, and such a document is not compiled."""
    return isinstance(result, PreExecutionError) or (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or ()))


#: The limits as validation rules, made once: the validation cache is keyed by the rule classes, and
#: the limiter extensions would make new classes for every request (and never hit the cache).
LIMIT_RULES = [depth_rule(MAX_DEPTH, None), aliases_rule(MAX_ALIASES), QueryCost]


def build_schema(*, production: bool = False) -> CoeduSchema:
    extensions: list = [
        # Bounded caches: the apps send the same few dozen documents over and over.
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(LIMIT_RULES),
        _ProductionErrors if production else ErrorPresentation,
    ]
    if production:
        extensions.append(DisableIntrospection)
    built = CoeduSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
        execution_context_class=Executor,
    )
    built.production = production
    built.plans = Plans(graphql_schema(built), production=production, calls=DirectCalls.of(built))
    call_resolvers_directly(built)
    resolve_lazy_arguments(built)
    return built


schema = build_schema()
