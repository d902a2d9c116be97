"""Eligibility rules: the validator names the bad part; the evaluator explains its answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from senda.core.errors import ValidationError
from senda.pathways.eligibility import (
    AGE_GROUPS,
    PURPOSES,
    evaluate,
    evaluate_outcome,
    validate_rule,
    validation_errors,
)

WORKER = {
    "nationality": "GT",
    "current_country": "GT",
    "destination": "MX",
    "purpose": "work",
    "age_group": "18_24",
    "documents_held": ["passport"],
}
RULE = {
    "all": [
        {"answer": "purpose", "in": ["work"]},
        {"answer": "nationality", "in": ["GT", "HN"]},
        {"answer": "age_group", "not_in": ["under_18"]},
    ]
}


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """The messages are checked in English (the msgids); Spanish is checked by the catalogue."""
    with translation.override("en"):
        yield


def test_the_example_rule_is_valid_and_fits_an_adult_guatemalan_worker() -> None:
    fits, reasons = evaluate(RULE, WORKER)
    assert fits
    assert len(reasons) == 3
    assert any("GT" in reason for reason in reasons)


def test_a_minor_does_not_fit_and_is_told_why_only() -> None:
    fits, reasons = evaluate(RULE, {**WORKER, "age_group": "under_18"})
    assert not fits
    assert reasons == ["Your age group (under 18) is one of: under 18."]


def test_empty_rule_fits_everyone() -> None:
    assert evaluate({}, {}) == (True, ["Open to everyone: no conditions."])


def test_any_fits_when_one_child_fits_and_reports_that_child() -> None:
    rule = {
        "any": [{"answer": "purpose", "in": ["study"]}, {"answer": "nationality", "in": ["GT"]}]
    }
    fits, reasons = evaluate(rule, WORKER)
    assert fits
    assert reasons == ["Your nationality (GT) is one of: GT."]


def test_any_without_a_fitting_child_reports_every_child() -> None:
    rule = {
        "any": [{"answer": "purpose", "in": ["study"]}, {"answer": "nationality", "in": ["HN"]}]
    }
    fits, reasons = evaluate(rule, WORKER)
    assert not fits
    assert len(reasons) == 2


def test_not_inverts_and_keeps_true_statements() -> None:
    fits, reasons = evaluate({"not": {"answer": "nationality", "in": ["MX"]}}, WORKER)
    assert fits
    assert reasons == ["Your nationality (GT) is not one of: MX."]


def test_documents_held_in_and_not_in() -> None:
    has = {"answer": "documents_held", "in": ["passport", "national-id"]}
    assert evaluate(has, WORKER) == (True, ["You have: passport."])
    assert evaluate(has, {**WORKER, "documents_held": []})[0] is False
    lacks = {"answer": "documents_held", "not_in": ["passport"]}
    assert evaluate(lacks, WORKER)[0] is False


def test_a_missing_answer_does_not_fit_and_says_so() -> None:
    fits, reasons = evaluate({"answer": "purpose", "in": ["work"]}, {})
    assert not fits
    assert reasons == ["Your reason for going: no answer given."]


def test_labels_turn_codes_into_names() -> None:
    names = {"GT": "Guatemala", "HN": "Honduras"}
    _fits, reasons = evaluate(
        {"answer": "nationality", "in": ["GT", "HN"]},
        WORKER,
        label=lambda answer, code: names.get(code, code),
    )
    assert reasons == ["Your nationality (Guatemala) is one of: Guatemala, Honduras."]


def test_matched_counts_the_conditions_that_held() -> None:
    assert evaluate_outcome(RULE, WORKER).matched == 3
    assert evaluate_outcome({"answer": "purpose", "in": ["work"]}, WORKER).matched == 1


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ([], "the rule must be an object"),
        ({"all": []}, '"all" must be a list with at least one condition'),
        ({"all": {}}, '"all" must be a list'),
        ({"every": []}, "it has: every"),
        ({"all": [], "any": []}, "it has: all, any"),
        ({"all": [{"answer": "colour", "in": ["red"]}]}, 'In all[0], "colour" is not a question'),
        ({"answer": "purpose", "in": ["work"], "not_in": ["x"]}, "it has: in, not_in"),
        ({"answer": "purpose", "equals": "work"}, "it has: equals"),
        ({"answer": "purpose", "in": "work"}, '"in" must be a list'),
        ({"answer": "purpose", "in": []}, '"in" must be a list'),
        ({"answer": "purpose", "in": ["holiday"]}, '"holiday" is not a reason'),
        ({"answer": "age_group", "in": ["young"]}, '"young" is not an age group'),
        ({"answer": "nationality", "in": ["gt"]}, '"gt" is not a country code'),
        ({"answer": "nationality", "in": [1]}, "every value must be text"),
        ({"answer": "documents_held", "in": ["Pass port"]}, "is not a document"),
        ({"any": [{"not": {"answer": "destination", "in": ["Mexico"]}}]}, "In any[0].not,"),
        ({"all": ["purpose"]}, "all[0] must be an object"),
    ],
)
def test_validator_names_the_bad_part(rule: Any, fragment: str) -> None:
    errors = validation_errors(rule)
    assert errors, rule
    assert any(fragment in error for error in errors), errors
    with pytest.raises(ValidationError) as raised:
        validate_rule(rule)
    assert list(raised.value.errors) == ["eligibility"]


def test_validator_refuses_deep_nesting() -> None:
    rule: Any = {"answer": "purpose", "in": ["work"]}
    for _level in range(12):
        rule = {"not": rule}
    assert any("nested more than" in error for error in validation_errors(rule))


def test_evaluate_refuses_an_invalid_rule() -> None:
    with pytest.raises(ValidationError):
        evaluate({"all": "x"}, WORKER)


# Property-based: any rule built from valid parts validates, and evaluation agrees with a
# plain reference interpretation; its reasons are never empty.

COUNTRY = st.sampled_from(["GT", "HN", "SV", "NI", "MX", "PA", "CR", "US"])
ANSWER_VALUES = {
    "nationality": COUNTRY,
    "current_country": COUNTRY,
    "destination": COUNTRY,
    "purpose": st.sampled_from(list(PURPOSES)),
    "age_group": st.sampled_from(list(AGE_GROUPS)),
    "documents_held": st.sampled_from(["passport", "national-id", "birth-certificate"]),
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    answer = draw(st.sampled_from(sorted(ANSWER_VALUES)))
    values = draw(st.lists(ANSWER_VALUES[answer], min_size=1, max_size=3))
    return {"answer": answer, draw(st.sampled_from(["in", "not_in"])): values}


rules = st.recursive(
    conditions(),
    lambda children: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, children),
    ),
    max_leaves=8,
)
answer_sets = st.fixed_dictionaries(
    {
        name: (st.lists(strategy, max_size=3) if name == "documents_held" else strategy)
        for name, strategy in ANSWER_VALUES.items()
    }
)


def reference(rule: dict[str, Any], answers: dict[str, Any]) -> bool:
    if "all" in rule:
        return all(reference(child, answers) for child in rule["all"])
    if "any" in rule:
        return any(reference(child, answers) for child in rule["any"])
    if "not" in rule:
        return not reference(rule["not"], answers)
    values = rule["in"] if "in" in rule else rule["not_in"]
    given = answers[rule["answer"]]
    hit = bool(set(given) & set(values)) if isinstance(given, list) else given in values
    return hit if "in" in rule else not hit


@given(rules, answer_sets)
def test_evaluation_matches_the_reference(rule: dict[str, Any], answers: dict[str, Any]) -> None:
    assert validation_errors(rule) == []
    fits, reasons = evaluate(rule, answers)
    assert fits == reference(rule, answers)
    assert reasons
    assert all(isinstance(reason, str) and reason for reason in reasons)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
        max_leaves=10,
    )
)
def test_validator_never_crashes_on_arbitrary_json(rule: Any) -> None:
    errors = validation_errors(rule)
    assert isinstance(errors, list)
    if errors:
        with pytest.raises(ValidationError):
            validate_rule(rule)
