"""Eligibility rules as data: validate them, and evaluate them against checklist answers.

A rule is JSON. ``{}`` fits everyone. Otherwise it is one node:

- ``{"all": [node, ...]}``: every node fits; ``{"any": [node, ...]}``: at least one fits;
  ``{"not": node}``: the node does not fit;
- a condition ``{"answer": "<name>", "in": [values]}`` or ``{"answer": ..., "not_in": [...]}``.

For ``documents_held`` (a set of document slugs) ``in`` means "holds at least one of" and
``not_in`` "holds none of". Every reason the evaluator gives is a true statement about the
person's answers, so a ``not`` keeps its child's reasons unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from senda.core.errors import ValidationError

PURPOSES: dict[str, Promise] = {
    "work": gettext_lazy("work"),
    "study": gettext_lazy("study"),
    "family": gettext_lazy("join family"),
    "protection": gettext_lazy("protection"),
    "visit": gettext_lazy("visit"),
}
AGE_GROUPS: dict[str, Promise] = {
    "under_18": gettext_lazy("under 18"),
    "18_24": gettext_lazy("18 to 24"),
    "25_59": gettext_lazy("25 to 59"),
    "60_plus": gettext_lazy("60 or older"),
}
COUNTRY_ANSWERS = ("nationality", "current_country", "destination")
ANSWERS = (*COUNTRY_ANSWERS, "purpose", "age_group", "documents_held")
OPERATORS = ("in", "not_in")
MAX_DEPTH = 8
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
DOCUMENT_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

# A person's answers: one code per single answer, a set of slugs for ``documents_held``.
Answers = Mapping[str, Any]
# Turns (answer name, code) into the words a reader sees: a country's or document's name.
Labeller = Callable[[str, str], str]


def _answer_subjects() -> dict[str, str]:
    return {
        "nationality": _("Your nationality"),
        "current_country": _("The country where you are now"),
        "destination": _("The country you want to go to"),
        "purpose": _("Your reason for going"),
        "age_group": _("Your age group"),
    }


def default_label(answer: str, code: str) -> str:
    """Purposes and age groups by their name; anything else as its code."""
    if answer == "purpose" and code in PURPOSES:
        return str(PURPOSES[code])
    if answer == "age_group" and code in AGE_GROUPS:
        return str(AGE_GROUPS[code])
    return code


# ---------------------------------------------------------------------------------------------
# Validation


def _describe(path: str) -> str:
    return path or _("the rule")


def _validate_value(answer: str, value: Any, where: str) -> str | None:
    if not isinstance(value, str):
        return _("In %(where)s, every value must be text in quotes.") % {"where": where}
    if answer in COUNTRY_ANSWERS and not COUNTRY_CODE.match(value):
        return _(
            'In %(where)s, "%(value)s" is not a country code: use two capital letters, like "GT".'
        ) % {"where": where, "value": value}
    if answer == "purpose" and value not in PURPOSES:
        return _('In %(where)s, "%(value)s" is not a reason; use one of: %(choices)s.') % {
            "where": where,
            "value": value,
            "choices": ", ".join(PURPOSES),
        }
    if answer == "age_group" and value not in AGE_GROUPS:
        return _('In %(where)s, "%(value)s" is not an age group; use one of: %(choices)s.') % {
            "where": where,
            "value": value,
            "choices": ", ".join(AGE_GROUPS),
        }
    if answer == "documents_held" and not DOCUMENT_SLUG.match(value):
        return _('In %(where)s, "%(value)s" is not a document\'s short name.') % {
            "where": where,
            "value": value,
        }
    return None


def _validate_node(node: Any, path: str, depth: int, errors: list[str]) -> None:
    where = _describe(path)
    if depth > MAX_DEPTH:
        errors.append(
            _("%(where)s is nested more than %(depth)s levels deep.")
            % {"where": where, "depth": MAX_DEPTH}
        )
        return
    if not isinstance(node, dict):
        errors.append(
            _('%(where)s must be an object in braces, like {"all": [...]}.') % {"where": where}
        )
        return
    if "answer" in node:
        _validate_condition(node, path, errors)
        return
    keys = sorted(node)
    if len(keys) != 1 or keys[0] not in ("all", "any", "not"):
        errors.append(
            _(
                '%(where)s must have exactly one of "all", "any", "not" or "answer";'
                " it has: %(keys)s."
            )
            % {"where": where, "keys": ", ".join(keys) or _("nothing")}
        )
        return
    key = keys[0]
    if key == "not":
        _validate_node(node["not"], f"{path}.not" if path else "not", depth + 1, errors)
        return
    children = node[key]
    child_path = f"{path}.{key}" if path else key
    if not isinstance(children, list) or not children:
        errors.append(
            _('"%(where)s" must be a list with at least one condition.') % {"where": child_path}
        )
        return
    for index, child in enumerate(children):
        _validate_node(child, f"{child_path}[{index}]", depth + 1, errors)


def _validate_condition(node: dict[str, Any], path: str, errors: list[str]) -> None:
    where = _describe(path)
    answer = node["answer"]
    if answer not in ANSWERS:
        errors.append(
            _(
                'In %(where)s, "%(answer)s" is not a question of the checklist;'
                " use one of: %(choices)s."
            )
            % {"where": where, "answer": answer, "choices": ", ".join(ANSWERS)}
        )
        return
    operators = [key for key in node if key != "answer"]
    if len(operators) != 1 or operators[0] not in OPERATORS:
        errors.append(
            _('In %(where)s, a condition needs exactly one of "in" or "not_in"; it has: %(keys)s.')
            % {"where": where, "keys": ", ".join(sorted(operators)) or _("nothing")}
        )
        return
    values = node[operators[0]]
    if not isinstance(values, list) or not values:
        errors.append(
            _('In %(where)s, "%(operator)s" must be a list with at least one value.')
            % {"where": where, "operator": operators[0]}
        )
        return
    for value in values:
        message = _validate_value(answer, value, where)
        if message:
            errors.append(message)


def validation_errors(rule: Any) -> list[str]:
    """Every problem with ``rule``, each naming the part it is about (empty when valid)."""
    if rule == {}:
        return []
    errors: list[str] = []
    _validate_node(rule, "", 0, errors)
    return errors


def validate_rule(rule: Any) -> None:
    """Raise a ``ValidationError`` on ``eligibility`` listing every problem with ``rule``."""
    errors = validation_errors(rule)
    if errors:
        raise ValidationError({"eligibility": errors})


# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class Outcome:
    """Whether a rule fits, the true statements that show it, and how many conditions held."""

    fits: bool
    reasons: list[str] = field(default_factory=list)
    matched: int = 0


def _join(answer: str, values: list[str], label: Labeller) -> str:
    return ", ".join(label(answer, value) for value in values)


def _condition(node: dict[str, Any], answers: Answers, label: Labeller) -> Outcome:
    answer = node["answer"]
    operator = "in" if "in" in node else "not_in"
    values: list[str] = list(node[operator])
    allowed = _join(answer, values, label)
    if answer == "documents_held":
        held = set(answers.get("documents_held") or ())
        has_any = bool(held & set(values))
        fits = has_any if operator == "in" else not has_any
        if has_any:
            owned = [value for value in values if value in held]
            reason = _("You have: %(documents)s.") % {"documents": _join(answer, owned, label)}
        else:
            reason = _("You do not have any of: %(documents)s.") % {"documents": allowed}
        return Outcome(fits, [reason], int(fits))
    subject = _answer_subjects()[answer]
    given = answers.get(answer) or ""
    if not given:
        return Outcome(False, [_("%(subject)s: no answer given.") % {"subject": subject}], 0)
    is_in = given in values
    fits = is_in if operator == "in" else not is_in
    template = (
        _("%(subject)s (%(value)s) is one of: %(allowed)s.")
        if is_in
        else _("%(subject)s (%(value)s) is not one of: %(allowed)s.")
    )
    reason = template % {"subject": subject, "value": label(answer, given), "allowed": allowed}
    return Outcome(fits, [reason], int(fits))


def _evaluate(node: dict[str, Any], answers: Answers, label: Labeller) -> Outcome:
    if "answer" in node:
        return _condition(node, answers, label)
    if "not" in node:
        inner = _evaluate(node["not"], answers, label)
        return Outcome(not inner.fits, inner.reasons, inner.matched if not inner.fits else 0)
    children = [_evaluate(child, answers, label) for child in node.get("all") or node["any"]]
    matched = sum(child.matched for child in children)
    if "all" in node:
        fits = all(child.fits for child in children)
    else:
        fits = any(child.fits for child in children)
    # The children that decided the outcome: those that fit when it fits, the others when not.
    deciding = [child for child in children if child.fits == fits] or children
    return Outcome(fits, [reason for child in deciding for reason in child.reasons], matched)


def evaluate_outcome(rule: Any, answers: Answers, *, label: Labeller | None = None) -> Outcome:
    """Evaluate a valid ``rule``; see ``evaluate``. Raises ``ValidationError`` if invalid."""
    validate_rule(rule)
    if rule == {}:
        return Outcome(True, [_("Open to everyone: no conditions.")], 0)
    return _evaluate(rule, answers, label or default_label)


def evaluate(
    rule: Any, answers: Answers, *, label: Labeller | None = None
) -> tuple[bool, list[str]]:
    """Whether ``answers`` fit ``rule`` and the human-readable reasons why (or why not)."""
    outcome = evaluate_outcome(rule, answers, label=label)
    return outcome.fits, outcome.reasons
