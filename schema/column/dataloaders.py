"""Loaders of the 静待花开 column."""

from __future__ import annotations

import uuid

from strawberry.dataloader import DataLoader

from schema.common.dataloaders import LoaderSet, id_key
from services.column import queries as column
from services.column.models import ColumnEpisode, ColumnProgress
from services.column.queries import EpisodeStats


class ColumnLoaders(LoaderSet):
    @property
    def visible_episode(self) -> DataLoader[uuid.UUID, ColumnEpisode | None]:
        return self._get("visible_episode", self._viewer(column.visible_episodes_by_id))

    @property
    def episode_progress(self) -> DataLoader[uuid.UUID, ColumnProgress | None]:
        return self._get("episode_progress", self._viewer(column.viewer_progress))

    @property
    def episode_stats(self) -> DataLoader[ColumnEpisode, EpisodeStats | None]:
        return self._get("episode_stats", self._viewer(column.stats), key=id_key)
