"""The "which documents do I need?" checklist: six questions, one per screen, and the result.

Nothing is stored: every answer travels in the address (GET), so the result can be shared,
bookmarked or printed, and going back is a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from senda.core.errors import ValidationError
from senda.directory.models import Location
from senda.directory.nearby import points_sql
from senda.directory.queries import services_public
from senda.directory.search import ServiceFilters, as_uuid, index_filter_sql
from senda.geo.models import AdminArea, Country
from senda.pathways import queries
from senda.pathways.eligibility import (
    AGE_GROUPS,
    PURPOSES,
    _answer_subjects,
    evaluate_outcome,
    validation_errors,
)
from senda.pathways.models import Channel, Document, DocumentSource

# The questions in the order they are asked. ``documents_held`` may be left empty, so its
# screen sends ``documents_done`` to say it was answered.
STEPS = ("nationality", "current_country", "destination", "purpose", "age_group", "documents_held")
QUESTIONS = {
    "nationality": gettext_lazy("What is your nationality?"),
    "current_country": gettext_lazy("Which country are you in now?"),
    "destination": gettext_lazy("Which country do you want to go to?"),
    "purpose": gettext_lazy("Why do you want to go?"),
    "age_group": gettext_lazy("How old are you?"),
    "documents_held": gettext_lazy("Which of these documents do you already have?"),
}
MISSING = {
    "nationality": gettext_lazy("Choose your nationality to continue."),
    "current_country": gettext_lazy("Choose the country where you are now to continue."),
    "destination": gettext_lazy("Choose the country where you want to go to continue."),
    "purpose": gettext_lazy("Choose why you want to go to continue."),
    "age_group": gettext_lazy("Choose your age group to continue."),
    "documents_held": gettext_lazy("Choose only documents from the list."),
}
DOCUMENTS_DONE = "documents_done"
# Parameters the checklist carries along untouched (campaign attribution, the person's area).
CARRIED = ("via", "area")


@dataclass
class Choice:
    value: str
    label: str


@dataclass
class StepScreen:
    """One question on its own screen: its choices, what was answered, and the error."""

    name: str
    number: int
    question: str
    choices: list[Choice]
    multiple: bool
    selected: set[str]
    error: str
    hidden: list[tuple[str, str]]
    back_query: str


@dataclass
class DocumentToGather:
    document: Document
    held: bool
    sources: list[DocumentSource]
    notes: list[str] = field(default_factory=list)


@dataclass
class ChannelFit:
    channel: Channel
    fits: bool
    reasons: list[str]
    matched: int
    missing_documents: int


@dataclass
class ChecklistResult:
    answers: dict[str, Any]
    fitting: list[ChannelFit]
    not_fitting: list[ChannelFit]
    documents: list[DocumentToGather]
    labels: dict[str, str]


def _choices(name: str) -> list[Choice]:
    if name == "purpose":
        return [Choice(code, str(label).capitalize()) for code, label in PURPOSES.items()]
    if name == "age_group":
        return [Choice(code, str(label).capitalize()) for code, label in AGE_GROUPS.items()]
    if name == "documents_held":
        return [Choice(d.slug, str(d.tr("name"))) for d in queries.identity_documents()]
    countries = queries.countries_with_guides() if name == "destination" else Country.objects.all()
    return sorted(
        (Choice(country.code, str(country.tr("name"))) for country in countries),
        key=lambda choice: choice.label,
    )


def parse(query: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The valid answers in ``query`` and, per question, why its answer was refused."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    getlist = query.getlist if isinstance(query, QueryDict) else lambda key: query.get(key, [])
    for name in STEPS:
        valid = {choice.value for choice in _choices(name)}
        if name == "documents_held":
            held = [value for value in getlist(name) if value]
            if any(value not in valid for value in held):
                errors[name] = str(MISSING[name])
            elif query.get(DOCUMENTS_DONE):
                answers[name] = sorted(set(held))
            continue
        value = (query.get(name) or "").strip()
        if name in ("nationality", "current_country", "destination"):
            value = value.upper()
        if value in valid:
            answers[name] = value
        elif value or query.get("step") == name:
            errors[name] = str(MISSING[name])
    return answers, errors


def carried(query: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The untouched parameters (``via``, ``area``) to pass along, when short and plain."""
    pairs = []
    for name in CARRIED:
        value = (query.get(name) or "").strip()
        if value and len(value) <= 40 and value.replace("-", "").replace("_", "").isalnum():
            pairs.append((name, value))
    return pairs


def _answer_pairs(answers: dict[str, Any], skip: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name in STEPS:
        if name == skip or name not in answers:
            continue
        if name == "documents_held":
            pairs.extend((name, slug) for slug in answers[name])
            pairs.append((DOCUMENTS_DONE, "1"))
        else:
            pairs.append((name, answers[name]))
    return pairs


def next_screen(query: Mapping[str, Any]) -> StepScreen | None:
    """The screen to show next, or None when every question has a valid answer."""
    answers, errors = parse(query)
    editing = query.get("edit") or ""
    current = ""
    if editing in STEPS:
        current = editing
    else:
        for name in STEPS:
            if name not in answers:
                current = name
                break
    if not current:
        return None
    number = STEPS.index(current) + 1
    extra = carried(query)
    previous = STEPS[number - 2] if number > 1 else ""
    back_query = ""
    if previous:
        back_query = urlencode([*_answer_pairs(answers), *extra, ("edit", previous)])
    selected_value = answers.get(current)
    if isinstance(selected_value, list):
        selected = set(selected_value)
    else:
        selected = {selected_value} if selected_value else set()
    return StepScreen(
        name=current,
        number=number,
        question=str(QUESTIONS[current]),
        choices=_choices(current),
        multiple=current == "documents_held",
        selected=selected,
        error=errors.get(current, ""),
        hidden=[*_answer_pairs(answers, skip=current), *extra],
        back_query=back_query,
    )


def result_query(answers: dict[str, Any], extra: list[tuple[str, str]]) -> str:
    return urlencode([*_answer_pairs(answers), *extra])


def build_result(answers: dict[str, Any]) -> ChecklistResult:
    """Channels of the destination ranked for the person, and one merged list of documents."""
    nationality = answers["nationality"]
    channels = queries.channels_for_checklist(
        destination=answers["destination"], nationality=nationality
    )
    countries = {country.code: str(country.tr("name")) for country in Country.objects.all()}
    document_names = {d.slug: str(d.tr("name")) for d in Document.objects.all()}

    def label(answer: str, code: str) -> str:
        if answer in ("nationality", "current_country", "destination"):
            return countries.get(code, code)
        if answer == "documents_held":
            return document_names.get(code, code)
        if answer == "purpose":
            return str(PURPOSES.get(code, code))
        if answer == "age_group":
            return str(AGE_GROUPS.get(code, code))
        return code

    held = set(answers.get("documents_held", []))
    fits: list[ChannelFit] = []
    for channel in channels:
        try:
            outcome = evaluate_outcome(channel.eligibility, answers, label=label)
        except ValidationError:
            # Rules are validated on save; an old broken one must not hide the page.
            outcome_fits, reasons, matched = False, [_("This channel is being reviewed.")], 0
        else:
            outcome_fits, reasons, matched = outcome.fits, outcome.reasons, outcome.matched
        links = list(channel.document_links.all())
        missing = sum(1 for link in links if link.document.slug not in held)
        fits.append(ChannelFit(channel, outcome_fits, reasons, matched, missing))
    fitting = sorted(
        (fit for fit in fits if fit.fits),
        key=lambda fit: (-fit.matched, fit.missing_documents, str(fit.channel.tr("name"))),
    )
    not_fitting = [fit for fit in fits if not fit.fits]
    documents: dict[str, DocumentToGather] = {}
    for fit in fitting:
        for link in fit.channel.document_links.all():
            item = documents.get(link.document.slug)
            if item is None:
                item = DocumentToGather(
                    document=link.document,
                    held=link.document.slug in held,
                    sources=list(link.document.sources.all()),
                )
                documents[link.document.slug] = item
            note = str(link.tr("note"))
            if note and note not in item.notes:
                item.notes.append(note)
    return ChecklistResult(
        answers=answers,
        fitting=fitting,
        not_fitting=not_fitting,
        documents=list(documents.values()),
        labels={
            name: label(name, answers[name])
            for name in ("nationality", "current_country", "destination", "purpose", "age_group")
        },
    )


# ---------------------------------------------------------------------------------------------
# The offline checklist: the same six screens and result, computed in the browser
# (static/pathways/offline-checklist.js) from this data when there is no connection.

# The information points a result lists: this directory category, the nearest few.
INFO_POINT_CATEGORY = "migration"
NEARBY_LIMIT = 5


def _reason_texts() -> dict[str, Any]:
    """The eligibility evaluator's sentences, translated, with their %(name)s placeholders."""
    return {
        "subjects": _answer_subjects(),
        "is_in": _("%(subject)s (%(value)s) is one of: %(allowed)s."),
        "is_not_in": _("%(subject)s (%(value)s) is not one of: %(allowed)s."),
        "no_answer": _("%(subject)s: no answer given."),
        "have": _("You have: %(documents)s."),
        "have_none": _("You do not have any of: %(documents)s."),
        "everyone": _("Open to everyone: no conditions."),
        "reviewing": _("This channel is being reviewed."),
    }


def _page_texts() -> dict[str, str]:
    """The words of checklist_step.html and checklist_result.html (same message ids)."""
    return {
        "title": _("Which documents do I need?"),
        "question_of": _("Question %(number)s of %(total)s"),
        "choose": _("Choose…"),
        "tick_all": _("Tick all you have. If you have none, continue without ticking."),
        "no_options": _("No options are available yet."),
        "next": _("Next"),
        "see_result": _("See my result"),
        "back": _("Back to the previous question"),
        "not_stored": _("Your answers are not stored: they stay in this page's address."),
        "result_title": _("Your checklist"),
        "summary": _(
            "Nationality: %(nationality)s · Now in: %(here)s · Going to: %(destination)s"
            " · To: %(purpose)s · Age: %(age)s"
        ),
        "change": _("Change answers"),
        "fitting": _("Regular channels you may use"),
        "why": _("Why it may fit you:"),
        "example": _("Example content — not legal advice."),
        "none_fit": _(
            "We found no regular channel that fits all your answers. An information point can"
            " look at your case with you."
        ),
        "gather": _("Documents to gather"),
        "have_it": _("you have it"),
        "where": _("Where to get it:"),
        "cost": _("usual cost:"),
        "time": _("usual time:"),
        "ask_where": _("Ask an information point where to get it."),
        "cannot": _("What you cannot use, and why"),
        "points": _("Information points that can help"),
        "no_points": _("No information point is listed in this country yet."),
        "opportunities": _("Opportunities where you are: study, work, start a business"),
        "important": _("Important"),
        "not_advice": _("This is information, not legal advice."),
        "rules_change": _("Rules change and every case is different."),
        "ask_help": _("Ask an information point for personalised help (free)"),
        "share": _("Share on WhatsApp"),
        "nothing_stored": _("Nothing you answered is stored. Print or save this page to keep it."),
    }


def _channel_data(channel: Channel) -> dict[str, Any]:
    rule = channel.eligibility
    # Rules are validated on save; an old broken one is shown as "being reviewed", as online.
    return {
        "country": channel.country_id,
        "slug": channel.slug,
        "name": str(channel.tr("name")),
        "summary": str(channel.tr("summary")),
        "example": channel.is_example,
        "rule": None if validation_errors(rule) else rule,
        "documents": [
            [link.document.slug, str(link.tr("note"))] for link in channel.document_links.all()
        ],
    }


def _document_data(document: Document) -> dict[str, Any]:
    return {
        "name": str(document.tr("name")),
        "description": str(document.tr("description")),
        # Where a national of each country gets it: [where, usual cost, usual time].
        "sources": {
            source.country_id: [
                str(source.tr("where")),
                str(source.tr("usual_cost")),
                str(source.tr("usual_time")),
            ]
            for source in document.sources.all()
        },
    }


def _information_points(country_codes: list[str]) -> dict[str, Any]:
    """Every map point of a published information service per country, so that the browser
    finds the nearest ones as ``services_near`` does. Services and places are listed in the
    order of their ids, so comparing list positions breaks ties as the server does."""
    rows_by_country: dict[str, list[tuple[Any, ...]]] = {}
    for code in country_codes:
        conditions, params = index_filter_sql(
            ServiceFilters(category_codes=(INFO_POINT_CATEGORY,), country_code=code)
        )
        with connection.cursor() as cursor:
            cursor.execute(*points_sql([], conditions, params))
            rows_by_country[code] = list(cursor.fetchall())
    service_ids = sorted({as_uuid(row[1]) for rows in rows_by_country.values() for row in rows})
    location_ids = sorted({as_uuid(row[2]) for rows in rows_by_country.values() for row in rows})
    services = {s.pk: s for s in services_public().filter(pk__in=service_ids)}
    locations = {place.pk: place for place in Location.objects.filter(pk__in=location_ids)}
    service_index = {pk: index for index, pk in enumerate(service_ids)}
    location_index = {pk: index for index, pk in enumerate(location_ids)}
    return {
        "services": [
            [
                str(services[pk].tr("name")) if pk in services else "",
                reverse("portal:service", args=[pk]),
            ]
            for pk in service_ids
        ],
        "locations": [
            str(locations[pk].tr("name")) if pk in locations else "" for pk in location_ids
        ],
        # [service position, place position, point id, latitude, longitude]
        "points": {
            code: [
                [
                    service_index[as_uuid(row[1])],
                    location_index[as_uuid(row[2])],
                    row[0],
                    row[3],
                    row[4],
                ]
                for row in rows
            ]
            for code, rows in rows_by_country.items()
        },
    }


def offline_data() -> dict[str, Any]:
    """Everything the offline checklist needs, in the active language: the six questions and
    their choices, every published channel with its rule and documents, the words of the
    result, and the information points and places to measure distances from. Published
    content only; nothing about a person."""
    countries = list(Country.objects.all())
    steps = [
        {
            "name": name,
            "question": str(QUESTIONS[name]),
            "missing": str(MISSING[name]),
            "choices": [[choice.value, choice.label] for choice in _choices(name)],
        }
        for name in STEPS
    ]
    channels: list[Channel] = []
    for destination in queries.countries_with_guides():
        channels.extend(
            queries.channels_for_checklist(destination=destination.code, nationality="")
        )
    linked = {
        link.document.slug: link.document for c in channels for link in c.document_links.all()
    }
    areas = AdminArea.objects.filter(country__in=countries).values_list(
        "pcode", "country_id", "latitude", "longitude"
    )
    return {
        "steps": steps,
        "labels": {
            "countries": {country.code: str(country.tr("name")) for country in countries},
            "documents": {d.slug: str(d.tr("name")) for d in Document.objects.all()},
            "purpose": {code: str(label) for code, label in PURPOSES.items()},
            "age_group": {code: str(label) for code, label in AGE_GROUPS.items()},
        },
        "reasons": _reason_texts(),
        "texts": _page_texts(),
        "channels": [_channel_data(channel) for channel in channels],
        "documents": {slug: _document_data(document) for slug, document in linked.items()},
        "places": {
            "countries": {c.code: [c.latitude, c.longitude] for c in countries},
            "areas": {pcode: [code, lat, lon] for pcode, code, lat, lon in areas},
        },
        **_information_points([country.code for country in countries]),
    }
