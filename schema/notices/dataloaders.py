"""Loaders of school notices."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from schema.common.dataloaders import LoaderSet
from services.notices import queries as notices
from services.notices.queries import Child, NoticeStats, SeenNotice


class NoticeLoaders(LoaderSet):
    @property
    def visible_notice(self) -> DataLoader[uuid.UUID, SeenNotice | None]:
        return self._get("visible_notice", self._viewer(notices.visible_notices_by_id))

    @property
    def notice_children(self) -> DataLoader[tuple[uuid.UUID, uuid.UUID], list[Child]]:
        """By (notice id, guardian id): the children a notice came to the guardian through."""
        return self._get("notice_children", notices.children_of)

    @property
    def notice_stats(self) -> DataLoader[SeenNotice, NoticeStats | None]:
        return self._get("notice_stats", self._viewer(notices.stats), key=lambda seen: seen.row.id)
