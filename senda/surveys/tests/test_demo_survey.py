"""The demo surveys: clearly fake, imported through the actions, and their WEIGHTED estimates
reproduce the published diagnostic figures to the percent."""

from __future__ import annotations

from uuid import UUID

import pytest

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Role
from senda.insights.models import Programme
from senda.surveys import results
from senda.surveys.demo import COUNTRIES, SOURCE_NOTE, load_demo
from senda.surveys.models import Submission, Survey


@pytest.fixture
def demo(org_a: Organisation, users_a: dict[str, User]) -> tuple[Survey, Survey]:
    programme = Programme.objects.create(slug="demo", name="Programa regional", lead=org_a)
    return load_demo(programme=programme, actor=users_a[Role.PROGRAMME_OFFICER])


def _share(user: User, survey_id: UUID, question: str, country: str, answer: str) -> float:
    found = results.question_results(
        user=user,
        survey_id=survey_id,
        question_name=question,
        dimension="country",
    )
    group = next(g for g in found.groups if g.value == country)
    row = next(r for r in group.rows if r.key == answer)
    assert row.estimate is not None
    return round(row.estimate.estimate * 100, 6)


def test_weighted_estimates_hit_the_published_figures(
    demo: tuple[Survey, Survey], users_a: dict[str, User]
) -> None:
    baseline, _follow_up = demo
    user = users_a[Role.VIEWER]
    survey_id = baseline.pk

    def share(question: str, country: str, answer: str = "yes") -> int:
        return round(_share(user, survey_id, question, country, answer))

    # 59% of migrants in transit in Mexico do not know which documents they need; 49% do not
    # know where to look for information; 97% would make a great effort.
    assert share("knows_documents", "MX", "no") == 59
    assert share("knows_where_to_look", "MX", "no") == 49
    assert share("great_effort_documents", "MX") == 97
    for country in ("HN", "GT", "SV"):
        # More than 80% want information on regular channels; 59-70% would take up local
        # opportunities.
        assert share("wants_channel_info", country) > 80
        assert 59 <= share("local_opportunities", country) <= 70
    # 60% of the adolescents interviewed in Nicaragua do not know the difference.
    assert share("knows_difference", "NI", "no") == 60
    # 81-89% per country would visit an information centre.
    visit = {country: share("would_visit_centre", country) for country in COUNTRIES}
    assert all(81 <= value <= 89 for value in visit.values())
    assert min(visit.values()) == 81 and max(visit.values()) == 89


def test_the_demo_is_clearly_fake_sized_and_designed(
    demo: tuple[Survey, Survey], users_a: dict[str, User]
) -> None:
    baseline, follow_up = demo
    user = users_a[Role.VIEWER]

    assert Submission.objects.filter(survey=baseline).count() == 2800
    assert Submission.objects.filter(survey=follow_up).count() == 1500
    for survey in (baseline, follow_up):
        assert "FAKE" in survey.name
        assert SOURCE_NOTE in survey.form_title
    assert follow_up.baseline_id == baseline.pk
    found = results.question_results(
        user=user,
        survey_id=baseline.pk,
        question_name="knows_documents",
        dimension="country",
    )
    assert found.weighted and found.stratified and found.clustered
    assert {g.value for g in found.groups} == {"MX", "GT", "HN", "SV", "NI"}
    assert not found.any_hidden
    # Clustered answers: the design effect is above 1 somewhere.
    assert any(
        row.estimate is not None and row.estimate.deff is not None and row.estimate.deff > 1
        for group in found.groups
        for row in group.rows
    )
    # Free text is never stored, even when the export has it.
    assert not Submission.objects.filter(survey=baseline, data__has_key="comments").exists()


def test_the_follow_up_shows_change(demo: tuple[Survey, Survey], users_a: dict[str, User]) -> None:
    _baseline, follow_up = demo

    comparison = results.comparison_results(
        user=users_a[Role.VIEWER],
        survey_id=follow_up.pk,
        question_name="knows_documents",
        dimension="country",
    )

    mexico = next(g for g in comparison.groups if g.value == "MX")
    yes = next(r for r in mexico.rows if r.key == "yes")
    assert yes.change is not None
    assert round(yes.change.difference * 100) == 56 - 41
    assert yes.change.ci_low > 0  # a change the sample can tell from none


def test_loading_twice_adds_nothing(
    demo: tuple[Survey, Survey], org_a: Organisation, users_a: dict[str, User]
) -> None:
    programme = Programme.objects.get(slug="demo")

    again = load_demo(programme=programme, actor=users_a[Role.PROGRAMME_OFFICER])

    assert again == demo
    assert Submission.objects.count() == 4300
