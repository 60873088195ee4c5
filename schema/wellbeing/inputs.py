"""Inputs of the wellbeing operations."""

from __future__ import annotations

import strawberry

from schema.wellbeing.enums import AlertCategory, AlertOutcome, AlertSeverity, AlertSource, AlertStatus, EscalationLevel


@strawberry.input(description="A wellbeing concern about a student.")
class RaiseWellbeingAlertInput:
    student_id: strawberry.ID = strawberry.field(description="The student.")
    severity: AlertSeverity = strawberry.field(description="How serious it is.")
    category: AlertCategory = strawberry.field(description="What it is about.")
    source: AlertSource = strawberry.field(description="How it came to light; guardians report GUARDIAN_REPORT.")
    summary: str = strawberry.field(description="One line, at most 500 characters.")
    details: str | None = strawberry.field(default=None, description="More, for the counsellors (sealed).")
    home_visit_id: strawberry.ID | None = strawberry.field(default=None, description="The home visit it came from.")


@strawberry.input(description="Narrows the alert queue.")
class WellbeingAlertFilter:
    status: list[AlertStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    severity: list[AlertSeverity] | None = strawberry.field(default=None, description="Only these severities.")
    level: EscalationLevel | None = strawberry.field(default=None, description="Only alerts at this level.")
    school_id: strawberry.ID | None = strawberry.field(default=None, description="Only students now at this school.")
    student_id: strawberry.ID | None = strawberry.field(default=None, description="Only this student.")
    raised_by_me: bool | None = strawberry.field(default=None, description="Only alerts the viewer raised.")


@strawberry.input(description="An alert to acknowledge.")
class AcknowledgeWellbeingAlertInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")


@strawberry.input(description="An alert to move up a level, and why.")
class EscalateWellbeingAlertInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")
    reason: str = strawberry.field(description="Why it needs the next level.")


@strawberry.input(description="A counsellor to follow an alert up.")
class AssignWellbeingAlertInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")
    assignee_id: strawberry.ID = strawberry.field(description="A counsellor responsible for the alert too.")


@strawberry.input(description="A note on an alert's timeline.")
class AddWellbeingAlertNoteInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")
    body: str = strawberry.field(description="The note (sealed), at most 5000 characters.")


@strawberry.input(description="How an alert ends.")
class ResolveWellbeingAlertInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")
    resolution: str = strawberry.field(description="What was done (sealed).")
    outcome: AlertOutcome = strawberry.field(description="How it ended.")


@strawberry.input(description="A message for the child's guardians.")
class ShareWellbeingAlertWithGuardiansInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")
    message: str = strawberry.field(description="What the guardians will read (sealed).")


@strawberry.input(description="A new acknowledgement deadline for a severity.")
class SetEscalationPolicyInput:
    severity: AlertSeverity = strawberry.field(description="The severity.")
    acknowledge_within_minutes: int = strawberry.field(description="Minutes per level, at least 1, at most 10080.")
