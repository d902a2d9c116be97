"""The "which documents do I need?" checklist: six questions, one per screen, and the result.

Nothing is stored: every answer travels in the address (GET), so the result can be shared,
bookmarked or printed, and going back is a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from senda.core.errors import ValidationError
from senda.geo.models import Country
from senda.pathways import queries
from senda.pathways.eligibility import AGE_GROUPS, PURPOSES, evaluate_outcome
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
