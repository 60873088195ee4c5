"""Enums of the 静待花开 column, described for the schema."""

from __future__ import annotations

from schema.common.enums import describe_enum
from services import enums

describe_enum(
    enums.ColumnEpisodeFormat, name="ColumnEpisodeFormat", description="How an episode is given.",
    values={"VIDEO": "A video.", "AUDIO": "An audio programme.", "ARTICLE": "An article to read."},
)
ColumnEpisodeFormat = enums.ColumnEpisodeFormat
describe_enum(
    enums.ColumnEpisodeStatus, name="ColumnEpisodeStatus", description="Where an episode stands.",
    values={
        "DRAFT": "Not published yet: only its editors see it.",
        "PUBLISHED": "Families see it.",
        "UNPUBLISHED": "Taken down: families no longer see it; progress and counts are kept.",
    },
)
ColumnEpisodeStatus = enums.ColumnEpisodeStatus
describe_enum(
    enums.GradeBand, name="GradeBand", description="The grades an episode suits.",
    values={
        "LOWER_PRIMARY": "Grades 1 to 3.",
        "UPPER_PRIMARY": "Grades 4 to 6.",
        "JUNIOR_SECONDARY": "Grades 7 to 9.",
        "SENIOR_SECONDARY": "Grades 10 to 12.",
    },
)
GradeBand = enums.GradeBand
