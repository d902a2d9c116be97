"""Helpers shared by every app's queries."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet

from senda.core.errors import NotFoundError

M = TypeVar("M", bound=Model)


def get_or_not_found(queryset: QuerySet[M], pk: object) -> M:
    """``queryset.get(pk=pk)``, with every way of not finding it as NotFoundError."""
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:
        raise NotFoundError(str(pk)) from exc
