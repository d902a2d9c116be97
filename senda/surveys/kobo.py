"""Pulling submissions from a KoboToolbox server's API v2 (standard library only).

``GET {server}/api/v2/assets/{uid}/data/?format=json&limit=N&start=M`` with the header
``Authorization: Token <token>``; the answer's ``next`` is followed until there is none.
An incremental pull asks only for what was submitted since the last one
(``query={"_submission_time": {"$gte": "<last>"}}``). Every page is read before anything is
stored, so a failure half-way saves nothing; each failure is a ``KoboError`` with a message for
the analyst (the token is never part of it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from django.conf import settings
from django.utils.translation import gettext as _

PAGE_SIZE = 1000
TIMEOUT_SECONDS = 30
# A server answering more pages than this for one pull is looping (or not KoboToolbox).
MAX_PAGES = 10_000


class KoboError(Exception):
    """The pull failed; ``str()`` is the message for the analyst, in their language."""


def server_url_problem(url: str) -> str:
    """Why ``url`` cannot be a KoboToolbox server address ("" when it can)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Enter the server's address, such as https://kf.kobotoolbox.org.")
    if parts.username or parts.password or parts.query or parts.fragment:
        return _("Enter only the server's address, without a user, query or fragment.")
    # Only servers the installation names: a typed address must never make Senda call its
    # own network (a database port, a cloud's metadata service) with a token.
    if _origin(url) not in {_origin(server) for server in allowed_servers()}:
        return _(
            "Senda pulls only from the KoboToolbox servers this installation allows (%(servers)s); "
            "an administrator adds a server with SENDA_KOBO_SERVERS."
        ) % {"servers": ", ".join(allowed_servers())}
    return ""


def allowed_servers() -> list[str]:
    """The KoboToolbox servers an analyst may pull from (setting ``SENDA_KOBO_SERVERS``)."""
    return [server.strip().rstrip("/") for server in settings.SENDA_KOBO_SERVERS if server.strip()]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url.strip())
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port or default_port
    except ValueError:
        port = None
    return (parts.scheme, (parts.hostname or "").lower(), port)


class _NoRedirects(HTTPRedirectHandler):
    """A redirect is answered as the error it is for an API: the token goes only where the
    analyst pointed, never where a server sends it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = build_opener(_NoRedirects)


def data_url(
    *, server: str, asset_uid: str, since: datetime | None, page_size: int = PAGE_SIZE
) -> str:
    """The first page's address of an asset's submissions (since ``since``, if given)."""
    params: dict[str, str | int] = {"format": "json", "limit": page_size, "start": 0}
    if since is not None:
        # $gte, not $gt: Kobo's times are to the second, and an interview submitted in the
        # same second as the last one pulled would otherwise never come; it is skipped by
        # its id if it was already imported.
        last = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        params["query"] = json.dumps({"_submission_time": {"$gte": last}})
        params["sort"] = json.dumps({"_submission_time": 1})
    base = server.strip().rstrip("/")
    return f"{base}/api/v2/assets/{asset_uid}/data/?{urlencode(params)}"


def _same_origin(url: str, server: str) -> bool:
    first, other = urlsplit(server.strip()), urlsplit(url)
    return (first.scheme, first.hostname, first.port) == (other.scheme, other.hostname, other.port)


def _get_json(url: str, token: str, timeout: float) -> Any:
    request = Request(  # noqa: S310 (the scheme is checked: http or https only)
        url, headers={"Authorization": f"Token {token}", "Accept": "application/json"}
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = response.read()
    except HTTPError as exc:
        if exc.code in (401, 403):
            raise KoboError(
                _(
                    "KoboToolbox refused the API token (HTTP %(code)s): check the token and "
                    "that its account may see this form's data."
                )
                % {"code": exc.code}
            ) from exc
        if exc.code == 404:
            raise KoboError(
                _(
                    "KoboToolbox has no such form (HTTP 404): check the server address and "
                    "the form's id (asset uid)."
                )
            ) from exc
        if 300 <= exc.code < 400:
            raise KoboError(
                _(
                    "The server sent Senda to another address (HTTP %(code)s); nothing was "
                    "pulled. Check the server's address (https, no extra path)."
                )
                % {"code": exc.code}
            ) from exc
        raise KoboError(
            _("KoboToolbox answered with an error (HTTP %(code)s); try again later.")
            % {"code": exc.code}
        ) from exc
    except TimeoutError as exc:
        raise KoboError(
            _("KoboToolbox did not answer within %(seconds)s seconds; try again later.")
            % {"seconds": f"{timeout:g}"}
        ) from exc
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise KoboError(
                _("KoboToolbox did not answer within %(seconds)s seconds; try again later.")
                % {"seconds": f"{timeout:g}"}
            ) from exc
        raise KoboError(_("The KoboToolbox server cannot be reached: check its address.")) from exc
    try:
        return json.loads(body)
    except ValueError as exc:
        raise KoboError(
            _("KoboToolbox's answer is not the JSON of its API: check the server address.")
        ) from exc


def fetch_submissions(
    *,
    server: str,
    asset_uid: str,
    token: str,
    since: datetime | None = None,
    page_size: int | None = None,
    timeout: float | None = None,
) -> list[dict[str, Any]]:
    """Every submission of the asset (since ``since``), all pages read; ``KoboError``
    otherwise."""
    page_size = page_size or PAGE_SIZE
    timeout = timeout or TIMEOUT_SECONDS
    problem = server_url_problem(server)
    if problem:
        raise KoboError(problem)
    url: str | None = data_url(server=server, asset_uid=asset_uid, since=since, page_size=page_size)
    records: list[dict[str, Any]] = []
    pages = 0
    while url:
        if not _same_origin(url, server):
            # The token goes only to the server the analyst named.
            raise KoboError(
                _("KoboToolbox pointed to another server for the next page; nothing was pulled.")
            )
        page = _get_json(url, token, timeout)
        results = page.get("results") if isinstance(page, dict) else None
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise KoboError(
                _("KoboToolbox's answer is not the JSON of its API: check the server address.")
            )
        records.extend(results)
        pages += 1
        next_url = page.get("next")
        url = next_url if isinstance(next_url, str) and next_url and results else None
        if pages >= MAX_PAGES:
            raise KoboError(_("KoboToolbox kept sending pages; nothing was pulled."))
    return records
