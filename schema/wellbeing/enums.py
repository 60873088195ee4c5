"""Enums of wellbeing alerts, described for the schema."""

from __future__ import annotations

from schema.common.enums import describe_enum
from services import enums

describe_enum(enums.AlertSeverity, name="AlertSeverity", description="How serious a concern is.",
              values={"LOW": "Low: acknowledge within days.", "MEDIUM": "Medium: within a day.",
                      "HIGH": "High: within hours.", "CRITICAL": "Critical: a possible crisis, "
                      "acknowledge within minutes; the district is paged at once."})
AlertSeverity = enums.AlertSeverity
describe_enum(enums.AlertCategory, name="AlertCategory", description="What the concern is about.",
              values={"SELF_HARM_RISK": "Risk of self-harm.", "BULLYING": "Bullying.",
                      "FAMILY_CONFLICT": "Conflict at home.",
                      "ANXIETY_DEPRESSION": "Anxiety or low mood.", "BEHAVIOUR": "Behaviour.",
                      "ATTENDANCE": "Absence from school.", "OTHER": "Something else."})
AlertCategory = enums.AlertCategory
describe_enum(enums.AlertSource, name="AlertSource", description="How the concern came to light.",
              values={"TEACHER_OBSERVATION": "A teacher noticed it.",
                      "GUARDIAN_REPORT": "A guardian reported it.",
                      "HOME_VISIT": "It came up on a home visit.", "SCREENING": "A screening found it.",
                      "COUNSELLOR": "A counsellor raised it.",
                      "INSTRUCTOR": "A guidance instructor raised it."})
AlertSource = enums.AlertSource
describe_enum(enums.AlertStatus, name="AlertStatus", description="Where an alert is in its life.",
              values={"OPEN": "Waiting to be acknowledged; the escalation clock runs.",
                      "ACKNOWLEDGED": "Someone responsible has taken it on.",
                      "RESOLVED": "Closed with a resolution and an outcome."})
AlertStatus = enums.AlertStatus
describe_enum(enums.EscalationLevel, name="EscalationLevel",
              description="Who is responsible for an alert now.",
              values={"SCHOOL": "The counsellors of the student's school.",
                      "DISTRICT": "The district's mental-health centre.",
                      "CITY": "The city's mental-health centre (the last responder)."})
EscalationLevel = enums.EscalationLevel
describe_enum(enums.AlertEventKind, name="AlertEventKind",
              description="What happened to an alert.",
              values={"RAISED": "It was raised.", "NOTIFIED": "A level was paged.",
                      "ACKNOWLEDGED": "It was acknowledged.", "ESCALATED": "It moved up a level.",
                      "ASSIGNED": "A counsellor was assigned.", "NOTE_ADDED": "A note was added.",
                      "SHARED_WITH_GUARDIANS": "A message was shared with the guardians.",
                      "RESOLVED": "It was resolved.",
                      "HANDOFF": "The student moved school; the record followed."})
AlertEventKind = enums.AlertEventKind
describe_enum(enums.AlertOutcome, name="AlertOutcome", description="How an alert ended.",
              values={"SUPPORTED_IN_SCHOOL": "Supported at school.",
                      "REFERRED_TO_SPECIALIST": "Referred to a specialist.",
                      "REFERRED_TO_HOSPITAL": "Referred to a hospital.",
                      "NO_ACTION_NEEDED": "No action was needed.", "OTHER": "Something else."})
AlertOutcome = enums.AlertOutcome
describe_enum(enums.WatchLevel, name="WatchLevel", description="How closely a student is watched.",
              values={"NONE": "No open alert and none resolved in the last 90 days.",
                      "ATTENTION": "An open LOW or MEDIUM alert, or one resolved in the last 90 days.",
                      "KEY_CONCERN": "An open HIGH alert.", "CRISIS": "An open CRITICAL alert."})
WatchLevel = enums.WatchLevel
