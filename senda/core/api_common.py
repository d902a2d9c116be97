"""What every router of the JSON API shares: bounded pagination, the documented error
answers, and text that never carries what the database would refuse."""

# No "from __future__ import annotations": Ninja reads these annotations at run time.

from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

from senda.core.api_auth import error_responses

MAX_PAGE_SIZE = 100

# Reads may be refused (403) when the role has no such list at all; 404 hides the rest.
READ_ERRORS = error_responses(401, 403, 404, 422)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 422)


class Pages(PageNumberPagination):
    """Ninja's page-number pagination, with bounds: no page number the database cannot take."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)


def no_nul(value: str) -> str:
    """A validator: a NUL character would be refused by PostgreSQL (a 500); say so instead."""
    if "\x00" in value:
        raise ValueError(_("The text contains a character that is not allowed."))
    return value
