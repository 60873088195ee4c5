"""A request's DataLoaders: each domain's, composed (as ``Query`` composes the domains' root fields).

Each domain declares its loaders in ``schema/<domain>/dataloaders.py`` over
``schema.common.dataloaders.LoaderSet``; this class only puts them together,
so that a resolver reaches any of them through ``info.context.loaders``.
"""

from __future__ import annotations

from schema.column.dataloaders import ColumnLoaders
from schema.family_education.dataloaders import FamilyEducationLoaders
from schema.home_visits.dataloaders import HomeVisitLoaders
from schema.notices.dataloaders import NoticeLoaders
from schema.organisation.dataloaders import OrganisationLoaders
from schema.wellbeing.dataloaders import WellbeingLoaders


class Loaders(OrganisationLoaders, WellbeingLoaders, HomeVisitLoaders, FamilyEducationLoaders, NoticeLoaders,
              ColumnLoaders):
    """Made per request (never module-level: what one viewer may see must not leak to the next)."""
