"""Every root field asks the access module first; no resolver decides alone."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import get_object_definition

from services import access


class OperationAllowed(BasePermission):
    message = "forbidden"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        # Raises Unauthenticated or Forbidden; ErrorPresentation turns them into coded errors.
        access.authorize_operation(info.context.principal, info.field_name)
        return True


def guard_root_fields(*root_types: type) -> None:
    """Put the access module in front of every root field (and describe mutations' `input`)."""
    for root in root_types:
        for field in get_object_definition(root, strict=True).fields:
            field.extensions.append(PermissionExtension(permissions=[OperationAllowed()], use_directives=False))
            for argument in field.arguments:
                if argument.python_name == "input" and not argument.description:
                    argument.description = "What to do; see the input type."
