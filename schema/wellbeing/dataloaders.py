"""Loaders of wellbeing alerts, keyed by alert id; a visible alert carries the viewer's tier."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from schema.common.dataloaders import LoaderSet, row_key
from services.enums import WatchLevel
from services.organisation.models import StudentTransfer
from services.wellbeing import queries as wellbeing
from services.wellbeing.queries import TimelineEntry, VisibleAlert


class WellbeingLoaders(LoaderSet):
    @property
    def visible_alert(self) -> DataLoader[uuid.UUID, VisibleAlert | None]:
        return self._get("visible_alert", self._viewer(wellbeing.visible_alerts_by_id))

    @property
    def alert_details(self) -> DataLoader[VisibleAlert, str | None]:
        return self._get("alert_details", self._viewer(wellbeing.read_details), key=row_key)

    @property
    def alert_timeline(self) -> DataLoader[VisibleAlert, list[TimelineEntry] | None]:
        return self._get("alert_timeline", self._viewer(wellbeing.read_timelines), key=row_key)

    @property
    def alert_shared(self) -> DataLoader[uuid.UUID, bool]:
        return self._get("alert_shared", wellbeing.shared_flags)

    @property
    def watch_level_by_student(self) -> DataLoader[uuid.UUID, WatchLevel]:
        return self._get("watch_level_by_student", wellbeing.watch_levels)

    @property
    def handoffs_by_student(self) -> DataLoader[uuid.UUID, list[StudentTransfer]]:
        return self._get("handoffs_by_student", wellbeing.handoffs)
