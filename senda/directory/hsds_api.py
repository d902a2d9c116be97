"""The read-only HSDS 3.0 API under /hsds/, as the official OpenAPI document describes it.

Plain Django JSON views: each parses its query parameters (400 naming the parameter when one
is wrong), asks ``senda.directory.hsds.queries`` for published data only (404 for anything
unknown or unpublished), and renders it with the HSDS serialiser. Lists are pages in the
spec's Page shape; ``format=ndjson`` streams every result instead, one object per line.

Language: each record's own language unless ``?lang=`` or ``Accept-Language`` asks for
another; other languages travel in the Senda extension property ``translations``.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from senda.core.errors import NotFoundError
from senda.directory.hsds import queries
from senda.directory.hsds.serialize import JSON, HsdsWriter
from senda.directory.hsds.spec import HSDS_VERSION, SCHEMA_DIR, openapi_document
from senda.directory.models import (
    Organization,
    Service,
    ServiceAtLocation,
)
from senda.directory.queries import organizations_public

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
STREAM_PAGE_SIZE = 200
HSDS_PROFILE = "https://github.com/openreferral/specification/tree/3.0"
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
SCHEMA_FILES = frozenset(
    path.relative_to(SCHEMA_DIR).as_posix()
    for path in SCHEMA_DIR.rglob("*.json")
    if path.name != "openapi.local.json"
)

View = Callable[..., HttpResponseBase]


class BadParameter(Exception):
    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(status: int, detail: str, **extra: str) -> JsonResponse:
    return _json({"detail": detail, **extra}, status=status)


def hsds_view(view: View) -> View:
    """GET (and HEAD) only; errors become JSON bodies; responses vary by language."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            response: HttpResponseBase = _error(405, _("The HSDS API is read-only: use GET."))
            response["Allow"] = "GET, HEAD"
            return response
        try:
            response = view(request, *args, **kwargs)
        except BadParameter as exc:
            response = _error(400, exc.message, parameter=exc.parameter)
        except NotFoundError:
            response = _error(404, _("Not found (or not published)."))
        response["Vary"] = "Accept-Language"
        # Published directory data, no credentials: any site may read it.
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


# Query parameters.


def _integer(request: HttpRequest, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, _("%(name)s must be a whole number.") % {"name": name}) from None
    if not low <= value <= high:
        raise BadParameter(
            name,
            _("%(name)s must be between %(low)d and %(high)d.")
            % {"name": name, "low": low, "high": high},
        )
    return value


def _boolean(request: HttpRequest, name: str) -> bool:
    raw = request.GET.get(name, "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise BadParameter(name, _("%(name)s must be true or false.") % {"name": name})


def _uuid(request: HttpRequest, name: str) -> uuid.UUID | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise BadParameter(name, _("%(name)s must be a UUID.") % {"name": name}) from None


def _moment(request: HttpRequest, name: str) -> datetime.datetime | None:
    """A date-time (ISO 8601; a bare date means its midnight) in the server's time zone."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    message = _("%(name)s must be a date-time such as 2024-05-31T14:00:00Z.") % {"name": name}
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            moment = datetime.datetime.combine(day, datetime.time()) if day else None
    except ValueError:
        raise BadParameter(name, message) from None
    if moment is None:
        raise BadParameter(name, message)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _unsupported(request: HttpRequest, *names: str) -> None:
    for name in names:
        if request.GET.get(name, "").strip():
            raise BadParameter(
                name, _("%(name)s is not supported by this server.") % {"name": name}
            )


def _accepted_language(header: str) -> str | None:
    """The preferred language of an Accept-Language header ("*" and junk ignored)."""
    best: tuple[float, str] | None = None
    for part in header.split(","):
        tag, _separator, parameters = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or not LANGUAGE_TAG.match(tag):
            continue
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _equals, value = parameter.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, tag)
    return best[1] if best else None


def _language(request: HttpRequest) -> str | None:
    """``?lang=``, else Accept-Language, else None (each record's own language)."""
    raw = request.GET.get("lang", "").strip()
    if raw:
        if not LANGUAGE_TAG.match(raw):
            raise BadParameter("lang", _("lang must be a language code such as es or en."))
        return raw
    return _accepted_language(request.headers.get("Accept-Language", ""))


def _writer(request: HttpRequest) -> HsdsWriter:
    return HsdsWriter(_language(request))


def _service_query(request: HttpRequest) -> queries.ServiceQuery:
    return queries.ServiceQuery(
        search=request.GET.get("search", "").strip(),
        taxonomy_term_id=_uuid(request, "taxonomy_term_id"),
        taxonomy_id=_uuid(request, "taxonomy_id"),
        organization_id=_uuid(request, "organization_id"),
        modified_after=_moment(request, "modified_after"),
    )


@dataclass(frozen=True)
class Paging:
    number: int
    size: int
    stream: bool


def _paging(request: HttpRequest) -> Paging:
    output = request.GET.get("format", "").strip().lower() or "json"
    if output not in ("json", "ndjson"):
        raise BadParameter("format", _("format must be json or ndjson."))
    return Paging(
        number=_integer(request, "page", 1, low=1, high=10**9),
        size=_integer(request, "per_page", DEFAULT_PER_PAGE, low=1, high=MAX_PER_PAGE),
        stream=output == "ndjson",
    )


# Responses.

Render = Callable[[Sequence[Any]], list[JSON]]


def _renderer(writer: HsdsWriter, build: Callable[[Any], JSON]) -> Render:
    def render(rows: Sequence[Any]) -> list[JSON]:
        objects = [build(row) for row in rows]
        writer.attach_attributes(objects)
        return objects

    return render


def _render_one(writer: HsdsWriter, build: Callable[[Any], JSON], row: Any) -> JSON:
    return _renderer(writer, build)([row])[0]


def _listing(paging: Paging, selection: queries.Selection, render: Render) -> HttpResponseBase:
    """A Page of results, or every result as newline-delimited JSON."""
    if paging.stream:
        return _stream(selection, render)
    found = selection.page(paging.number, paging.size)
    contents = render(found.rows)
    total_pages = math.ceil(found.total / paging.size)
    return _json(
        {
            "total_items": found.total,
            "total_pages": total_pages,
            "page_number": paging.number,
            "size": len(contents),
            "first_page": paging.number == 1,
            "last_page": paging.number >= total_pages,
            "empty": not contents,
            "contents": contents,
        }
    )


def _stream(selection: queries.Selection, render: Render) -> StreamingHttpResponse:
    def lines() -> Iterator[str]:
        number = 1
        while True:
            found = selection.page(number, STREAM_PAGE_SIZE)
            for item in render(found.rows):
                yield json.dumps(item, ensure_ascii=False) + "\n"
            if number * STREAM_PAGE_SIZE >= found.total or not found.rows:
                return
            number += 1

    return StreamingHttpResponse(lines(), content_type="application/x-ndjson; charset=utf-8")


def _with_language(response: HttpResponseBase, writer: HsdsWriter) -> HttpResponseBase:
    if writer.language:
        response["Content-Language"] = writer.language
    return response


# Meta information and the OpenAPI document.


@hsds_view
def meta(request: HttpRequest) -> HttpResponseBase:
    """What this API is: the HSDS version, its profile and its OpenAPI document."""
    return _json(
        {
            "version": HSDS_VERSION,
            "profile": HSDS_PROFILE,
            "openapi_url": request.build_absolute_uri(reverse("hsds:openapi")),
        }
    )


@hsds_view
def openapi(request: HttpRequest) -> HttpResponseBase:
    """The official HSDS 3.0 OpenAPI document, filled in for Senda."""
    document = openapi_document()
    document["info"] = {
        "title": "Senda HSDS API",
        "version": HSDS_VERSION,
        "summary": "Senda's published service directory, read-only, as HSDS 3.0.",
        "description": (
            "Published services only. Text is in each record's own language unless `lang` "
            "(or Accept-Language) asks for another; every other language of an object is in "
            "its `translations` property (a Senda extension: "
            '`{"en": {"name": "..."}}`). `format=ndjson` streams every result without pages. '
            "Not supported: `postcode`, `proximity`."
        ),
        "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
    }
    document["servers"] = [{"url": request.build_absolute_uri(reverse("hsds:meta")).rstrip("/")}]
    document["components"]["parameters"]["lang"] = {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "Language of the text (e.g. en). Default: each record's own language.",
        "schema": {"type": "string"},
    }
    for operation in document["paths"].values():
        operation["get"].setdefault("parameters", []).append(
            {"$ref": "#/components/parameters/lang"}
        )
    return _json(document)


@hsds_view
def schema_file(request: HttpRequest, name: str) -> HttpResponseBase:
    """The HSDS JSON schema files the OpenAPI document refers to."""
    if name not in SCHEMA_FILES:
        raise NotFoundError(name)
    return HttpResponse((SCHEMA_DIR / name).read_bytes(), content_type="application/schema+json")


# Services.

# The spec's "just id and modified date", plus the two fields its list schema requires.
MINIMAL_SERVICE_FIELDS = ("id", "name", "status", "last_modified")


def _minimal(writer: HsdsWriter, service: Service) -> JSON:
    summary = writer.service_summary(service, with_organization=False)
    return {key: summary[key] for key in MINIMAL_SERVICE_FIELDS if key in summary}


@hsds_view
def services(request: HttpRequest) -> HttpResponseBase:
    paging = _paging(request)
    query = _service_query(request)
    full = _boolean(request, "full")
    minimal = _boolean(request, "minimal")
    writer = _writer(request)
    prepare: Callable[[Any], Any]
    build: Callable[[Service], JSON]
    if minimal:
        prepare, build = queries.with_service_summary, functools.partial(_minimal, writer)
    elif full:
        prepare, build = queries.with_full_service, writer.service
    else:
        prepare, build = queries.with_service_summary, writer.service_summary
    selection = queries.service_selection(query, prepare)
    return _with_language(_listing(paging, selection, _renderer(writer, build)), writer)


@hsds_view
def service_detail(request: HttpRequest, id: str) -> HttpResponseBase:
    writer = _writer(request)
    service = queries.service_get(service_id=id)
    return _with_language(_json(_render_one(writer, writer.service, service)), writer)


# Organizations.


@hsds_view
def organizations(request: HttpRequest) -> HttpResponseBase:
    paging = _paging(request)
    search = request.GET.get("search", "").strip()
    full_services = _boolean(request, "full_service")
    full = _boolean(request, "full") or full_services
    writer = _writer(request)
    detail: Literal["summary", "full"] = "full" if full_services else "summary"

    def prepare(rows: Any) -> Any:
        if full:
            return queries.with_full_organization(rows, full_services=full_services)
        return rows

    def build(organization: Organization) -> JSON:
        if full:
            return writer.organization(organization, services=detail)
        return writer.organization_summary(organization)

    public = organizations_public().order_by("name", "id")
    selection: queries.Selection
    if search:
        ids = queries.matching_ids(public, search, "name", "alternate_name")
        selection = queries.IdSelection(
            ids, lambda page_ids: queries.load_in_order(public, page_ids, prepare)
        )
    else:
        selection = queries.QuerySetSelection(public, prepare)
    return _with_language(_listing(paging, selection, _renderer(writer, build)), writer)


@hsds_view
def organization_detail(request: HttpRequest, id: str) -> HttpResponseBase:
    full_services = _boolean(request, "full_service")
    writer = _writer(request)
    organization = queries.organization_get(organization_id=id, full_services=full_services)
    detail: Literal["summary", "full"] = "full" if full_services else "summary"
    body = _render_one(
        writer, functools.partial(writer.organization, services=detail), organization
    )
    return _with_language(_json(body), writer)


# Service at locations.


@hsds_view
def service_at_locations(request: HttpRequest) -> HttpResponseBase:
    paging = _paging(request)
    _unsupported(request, "postcode", "proximity")
    query = _service_query(request)
    full = _boolean(request, "full")
    writer = _writer(request)

    prepare = (
        queries.with_full_service_at_location if full else queries.with_service_at_location_summary
    )

    def build(row: ServiceAtLocation) -> JSON:
        if full:
            return writer.service_at_location(row, with_service=True)
        return writer.service_at_location_summary(row)

    selection = queries.service_at_location_selection(query, prepare)
    return _with_language(_listing(paging, selection, _renderer(writer, build)), writer)


@hsds_view
def service_at_location_detail(request: HttpRequest, id: str) -> HttpResponseBase:
    writer = _writer(request)
    row = queries.service_at_location_get(service_at_location_id=id)
    build = functools.partial(writer.service_at_location, with_service=True)
    return _with_language(_json(_render_one(writer, build, row)), writer)


# Taxonomies and taxonomy terms (reference data: all of it is public).


@hsds_view
def taxonomies(request: HttpRequest) -> HttpResponseBase:
    paging = _paging(request)
    search = request.GET.get("search", "").strip()
    writer = _writer(request)
    rows = queries.taxonomies()
    selection: queries.Selection
    if search:
        ids = queries.matching_ids(rows, search, "name", "description")
        selection = queries.IdSelection(
            ids, lambda page_ids: queries.load_in_order(rows, page_ids, lambda qs: qs)
        )
    else:
        selection = queries.QuerySetSelection(rows, lambda qs: qs)
    return _listing(paging, selection, _renderer(writer, writer.taxonomy))


@hsds_view
def taxonomy_detail(request: HttpRequest, id: str) -> HttpResponseBase:
    writer = _writer(request)
    return _json(writer.taxonomy(queries.taxonomy_get(taxonomy_id=id)))


@hsds_view
def taxonomy_terms(request: HttpRequest) -> HttpResponseBase:
    paging = _paging(request)
    search = request.GET.get("search", "").strip()
    rows = queries.taxonomy_terms_filtered(
        taxonomy_id=_uuid(request, "taxonomy_id"),
        parent_id=_uuid(request, "parent_id"),
        top_only=_boolean(request, "top_only"),
    )
    writer = _writer(request)
    selection: queries.Selection
    if search:
        ids = queries.matching_ids(rows, search, "code", "name")
        selection = queries.IdSelection(
            ids, lambda page_ids: queries.load_in_order(rows, page_ids, lambda qs: qs)
        )
    else:
        selection = queries.QuerySetSelection(rows, lambda qs: qs)
    response = _listing(paging, selection, _renderer(writer, writer.taxonomy_term))
    return _with_language(response, writer)


@hsds_view
def taxonomy_term_detail(request: HttpRequest, id: str) -> HttpResponseBase:
    writer = _writer(request)
    term = queries.taxonomy_term_get(taxonomy_term_id=id)
    return _with_language(_json(writer.taxonomy_term(term)), writer)


@hsds_view
def not_found(request: HttpRequest, rest: str = "") -> HttpResponseBase:
    return _error(
        404,
        _("No such HSDS endpoint. See %(url)s for the API description.")
        % {"url": request.build_absolute_uri(reverse("hsds:openapi"))},
    )
