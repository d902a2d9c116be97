"""Survey results: estimates on the survey's design, suppression, bad input, comparisons,
and who may read them (queries and pages)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from senda.accounts.models import Organisation, User
from senda.accounts.roles import Capability, Role, role_can
from senda.accounts.testing import login_verified
from senda.core.errors import NotFoundError, ValidationError
from senda.insights.models import Programme
from senda.surveys import results
from senda.surveys.estimation import Design, proportion
from senda.surveys.models import Submission, Survey, SurveyQuestion

CHOICES_KNOWS = [
    {"name": "yes", "labels": {"en": "Yes", "es": "Sí"}},
    {"name": "no", "labels": {"en": "No", "es": "No"}},
]
CHOICES_COUNTRY = [
    {"name": "MX", "labels": {"es": "México"}},
    {"name": "GT", "labels": {"es": "Guatemala"}},
    {"name": "HN", "labels": {"es": "Honduras"}},
]


def make_programme(lead: Organisation, *, viewers: tuple[Organisation, ...] = ()) -> Programme:
    programme = Programme.objects.create(slug=f"p-{lead.slug}", name="Programa", lead=lead)
    programme.viewer_organisations.set(viewers)
    return programme


def make_survey(
    programme: Programme,
    rows: list[dict[str, str]],
    *,
    name: str = "Diagnóstico",
    round: str = "baseline",
    baseline: Survey | None = None,
    dimensions: dict[str, str] | None = None,
) -> Survey:
    """A survey with a yes/no question, a select_multiple, an age, a country, and a design of
    weight ``w``, stratum ``st`` and cluster ``psu`` (test data, written directly)."""
    survey = Survey.objects.create(
        programme=programme,
        name=name,
        round=round,
        baseline=baseline,
        xlsform=b"",
        weight_question="w",
        strata_question="st",
        cluster_question="psu",
        dimension_questions=dimensions if dimensions is not None else {"country": "country"},
    )
    questions = [
        ("knows", "select_one", CHOICES_KNOWS, {"es": "¿Sabe qué documentos necesita?"}),
        (
            "sources",
            "select_multiple",
            [{"name": "radio", "labels": {}}, {"name": "tv", "labels": {}}],
            {"es": "Fuentes"},
        ),
        ("age", "integer", [], {"es": "Edad"}),
        ("country", "select_one", CHOICES_COUNTRY, {"es": "País"}),
        ("w", "decimal", [], {}),
        ("st", "select_one", [], {}),
        ("psu", "integer", [], {}),
    ]
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(survey=survey, name=n, path=n, type=t, choices=c, labels=labels, position=i)
        for i, (n, t, c, labels) in enumerate(questions)
    )
    Submission.objects.bulk_create(
        Submission(survey=survey, instance_id=f"uuid:{survey.pk}:{i}", data=data)
        for i, data in enumerate(rows)
    )
    return survey


def sample_rows() -> list[dict[str, str]]:
    """40 interviews: 20 in Mexico (stratum mx, 4 PSUs), 17 in Guatemala (stratum gt,
    3 PSUs), 3 in Honduras (stratum gt's PSU 7), unequal weights; one with no answer."""
    rows = []
    for i in range(40):
        country = "MX" if i < 20 else ("GT" if i < 37 else "HN")
        rows.append(
            {
                "knows": "yes" if (i * 7) % 5 < 2 else "no",
                "sources": ["radio", "tv", "radio tv", ""][i % 4],
                "age": str(15 + i % 9),
                "country": country,
                "w": str([1.5, 2.0, 3.25, 4.0][i % 4]),
                "st": "mx" if country == "MX" else "gt",
                "psu": str(i // 5) if country != "HN" else "7",
            }
        )
    rows[3]["knows"] = ""
    return rows


@pytest.fixture
def survey(org_a: Organisation, org_b: Organisation) -> Survey:
    return make_survey(make_programme(org_a, viewers=(org_b,)), sample_rows())


def test_estimates_are_those_of_the_design_overall_and_by_domain(
    survey: Survey, users_a: dict[str, User]
) -> None:
    rows = sample_rows()
    design = Design(
        weights=[float(r["w"]) for r in rows],
        strata=[r["st"] for r in rows],
        clusters=[r["psu"] for r in rows],
    )
    knows = [None if not r["knows"] else r["knows"] == "yes" for r in rows]

    found = results.question_results(
        user=users_a[Role.VIEWER], survey_id=survey.pk, question_name="knows", dimension="country"
    )

    expected_overall = proportion(design, knows)
    expected_mexico = proportion(design, knows, domain=[r["country"] == "MX" for r in rows])
    assert expected_overall is not None and expected_mexico is not None
    assert found.kind == "proportion"
    assert found.overall.n == 39
    assert found.overall.rows[0].key == "yes"
    assert found.overall.rows[0].estimate == expected_overall
    mexico = next(g for g in found.groups if g.value == "MX")
    assert mexico.label == "México"
    assert mexico.n == 19
    # On the full design: the same as the domain estimate, not as filtering the rows.
    assert mexico.rows[0].estimate == expected_mexico
    assert found.interviews == 40 and found.excluded_without_weight == 0


def test_means_and_select_multiple_options(survey: Survey, users_a: dict[str, User]) -> None:
    user = users_a[Role.PROGRAMME_OFFICER]

    ages = results.question_results(user=user, survey_id=survey.pk, question_name="age")
    sources = results.question_results(user=user, survey_id=survey.pk, question_name="sources")

    assert ages.kind == "mean"
    assert ages.overall.rows[0].estimate is not None
    assert 15 <= ages.overall.rows[0].estimate.estimate <= 23
    assert [row.key for row in sources.overall.rows] == ["radio", "tv"]
    assert sources.overall.n == 30  # every fourth interview chose nothing
    radio = sources.overall.rows[0].estimate
    assert radio is not None
    # radio in 20 of the 30: weights 1.5 (radio), 3.25 (radio tv) against 2.0 (tv)
    assert radio.estimate == pytest.approx((1.5 + 3.25) * 10 / ((1.5 + 2.0 + 3.25) * 10))


def test_small_groups_are_hidden_with_a_complementary_group(
    survey: Survey, users_a: dict[str, User]
) -> None:
    found = results.question_results(
        user=users_a[Role.VIEWER], survey_id=survey.pk, question_name="knows", dimension="country"
    )

    by_value = {group.value: group for group in found.groups}
    # Honduras: 3 interviews (below 5): hidden, estimates and n.
    assert by_value["HN"].hidden and by_value["HN"].n == 0
    assert all(row.estimate is None for row in by_value["HN"].rows)
    # Alone, it would be 39 - 19 - 17: the smallest other group (Guatemala) is hidden too.
    assert by_value["GT"].hidden
    assert not by_value["MX"].hidden and by_value["MX"].n == 19
    assert not found.overall.hidden
    # Nobody left the country unanswered: no "no answer" group.
    assert "" not in by_value

    exported = list(csv.DictReader(io.StringIO(results.results_csv(found))))
    honduras = [row for row in exported if row["group"] == "HN"]
    assert honduras and all(
        row["hidden"] == "1" and row["estimate"] == "" and row["unweighted_n"] == ""
        for row in honduras
    )
    assert {row["hidden"] for row in exported if row["group"] == "MX"} == {"0"}


def test_threshold_follows_the_setting(
    survey: Survey, users_a: dict[str, User], settings: Any
) -> None:
    settings.SENDA_SMALL_NUMBER_THRESHOLD = 3

    found = results.question_results(
        user=users_a[Role.VIEWER], survey_id=survey.pk, question_name="knows", dimension="country"
    )

    assert not any(group.hidden for group in found.groups)


def test_bad_input_is_a_clear_message(survey: Survey, users_a: dict[str, User]) -> None:
    user = users_a[Role.PROGRAMME_OFFICER]

    with pytest.raises(ValidationError) as unknown:
        results.question_results(user=user, survey_id=survey.pk, question_name="nope")
    with pytest.raises(ValidationError) as design_question:
        results.question_results(user=user, survey_id=survey.pk, question_name="w")
    with pytest.raises(ValidationError) as unmapped:
        results.question_results(
            user=user, survey_id=survey.pk, question_name="knows", dimension="sex"
        )
    with pytest.raises(ValidationError) as no_baseline:
        results.comparison_results(user=user, survey_id=survey.pk, question_name="knows")

    assert "nope" in unknown.value.errors["question"][0]
    assert "w" in design_question.value.errors["question"][0]
    assert "sex" in unmapped.value.errors["dimension"][0]
    assert "baseline" in no_baseline.value.errors


def test_interviews_without_a_weight_are_left_out_and_counted(
    org_a: Organisation, users_a: dict[str, User]
) -> None:
    rows = sample_rows()
    rows[0]["w"] = ""
    rows[1]["w"] = "-2"
    survey = make_survey(make_programme(org_a), rows)

    found = results.question_results(
        user=users_a[Role.VIEWER], survey_id=survey.pk, question_name="knows"
    )

    assert found.excluded_without_weight == 2
    assert found.overall.n == 37


def test_comparison_with_the_baseline(org_a: Organisation, users_a: dict[str, User]) -> None:
    programme = make_programme(org_a)
    baseline = make_survey(programme, sample_rows())
    later = sample_rows()
    for row in later:
        row["knows"] = "yes" if row["knows"] in ("yes", "no") and row["psu"] != "0" else "no"
    follow_up = make_survey(
        programme, later, name="Seguimiento", round="follow_up", baseline=baseline
    )

    found = results.comparison_results(
        user=users_a[Role.VIEWER], survey_id=follow_up.pk, question_name="knows"
    )

    yes = found.overall.rows[0]
    assert yes.key == "yes"
    assert yes.baseline is not None and yes.follow_up is not None and yes.change is not None
    assert yes.change.difference == pytest.approx(yes.follow_up.estimate - yes.baseline.estimate)
    assert yes.change.se == pytest.approx((yes.baseline.se**2 + yes.follow_up.se**2) ** 0.5)
    assert yes.change.ci_low < yes.change.difference < yes.change.ci_high
    assert found.overall.baseline_n == 39 and found.overall.follow_up_n == 40
    exported = list(csv.DictReader(io.StringIO(results.comparison_csv(found))))
    assert float(exported[0]["difference"]) == pytest.approx(yes.change.difference, abs=1e-6)


def test_results_read_the_submissions_in_one_query(
    survey: Survey, users_a: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    user = users_a[Role.VIEWER]
    with django_assert_max_num_queries(4):
        # the membership, the survey (if visible), its questions, its submissions
        results.question_results(
            user=user, survey_id=survey.pk, question_name="knows", dimension="country"
        )


def _sees(role: str, organisation: str) -> bool:
    # Org A leads the programme, org B is a viewer organisation: both see aggregates.
    return role_can(role, Capability.AGGREGATES_VIEW)


def test_who_may_read_results(
    survey: Survey, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    for organisation, users in (("a", users_a), ("b", users_b)):
        for role, user in users.items():
            if _sees(role, organisation):
                found = results.question_results(
                    user=user, survey_id=survey.pk, question_name="knows"
                )
                assert found.overall.n == 39
            else:
                with pytest.raises(NotFoundError):
                    results.question_results(user=user, survey_id=survey.pk, question_name="knows")


def test_a_survey_of_a_programme_the_organisation_has_no_part_in_is_not_found(
    org_a: Organisation, org_b: Organisation, users_b: dict[str, User]
) -> None:
    hidden = make_survey(make_programme(org_a), sample_rows())

    for user in users_b.values():
        with pytest.raises(NotFoundError):
            results.question_results(user=user, survey_id=hidden.pk, question_name="knows")


PAGES = [
    "surveys:results",
    "surveys:results_print",
    "surveys:results_csv",
    "surveys:results_comparison",
    "surveys:results_comparison_csv",
]


@pytest.mark.parametrize("page", PAGES)
def test_pages_for_every_role_of_both_organisations(
    page: str, survey: Survey, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    follow_up = make_survey(
        survey.programme, sample_rows(), name="Seguimiento", round="follow_up", baseline=survey
    )
    url = reverse(page, args=[follow_up.pk]) + "?question=knows&dimension=country"
    submissions_before = Submission.objects.count()
    for organisation, users in (("a", users_a), ("b", users_b)):
        for role, user in users.items():
            response = login_verified(Client(), user).get(url)
            if _sees(role, organisation):
                assert response.status_code == 200, (role, organisation)
            else:
                assert response.status_code == 404, (role, organisation)
            # Nothing to change here: a POST is not allowed, whoever sends it.
            assert login_verified(Client(), user).post(url).status_code == 405
    assert Submission.objects.count() == submissions_before


def test_results_page_shows_estimates_ci_deff_n_and_hides_small_groups(
    survey: Survey, users_b: dict[str, User]
) -> None:
    client = login_verified(Client(), users_b[Role.VIEWER])

    response = client.get(
        reverse("surveys:results", args=[survey.pk]) + "?question=knows&dimension=country"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "¿Sabe qué documentos necesita?" in html
    assert "México" in html and "Honduras" in html
    assert "&lt;5" in html  # Honduras and Guatemala
    assert "<svg" in html
    found = results.question_results(
        user=users_b[Role.VIEWER], survey_id=survey.pk, question_name="knows", dimension="country"
    )
    mexico = next(g for g in found.groups if g.value == "MX")
    yes = mexico.rows[0].estimate
    assert yes is not None
    assert f"{yes.estimate * 100:.1f}".replace(".", ",") in html  # Spanish decimals
    assert "<form" in html and 'method="post"' not in html.split("<main", 1)[1].split("</form>")[0]


def test_pages_say_what_is_wrong_with_bad_input(survey: Survey, users_a: dict[str, User]) -> None:
    client = login_verified(Client(), users_a[Role.PROGRAMME_OFFICER])

    unknown = client.get(reverse("surveys:results", args=[survey.pk]) + "?question=nope")
    unmapped = client.get(
        reverse("surveys:results", args=[survey.pk]) + "?question=knows&dimension=sex"
    )
    csv_unknown = client.get(reverse("surveys:results_csv", args=[survey.pk]) + "?question=x")
    no_baseline = client.get(reverse("surveys:results_comparison", args=[survey.pk]))

    assert unknown.status_code == 400 and "nope" in unknown.content.decode()
    assert unmapped.status_code == 400 and "sex" in unmapped.content.decode()
    assert csv_unknown.status_code == 400 and "x" in csv_unknown.content.decode()
    assert no_baseline.status_code == 400


def test_csv_download_is_suppressed(survey: Survey, users_a: dict[str, User]) -> None:
    client = login_verified(Client(), users_a[Role.PROGRAMME_OFFICER])

    response = client.get(
        reverse("surveys:results_csv", args=[survey.pk]) + "?question=knows&dimension=country"
    )

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["group"] for row in rows} == {"", "MX", "GT", "HN"}
    assert all(row["estimate"] == "" for row in rows if row["group"] in ("GT", "HN"))


def test_comparison_page_and_csv(org_a: Organisation, users_a: dict[str, User]) -> None:
    programme = make_programme(org_a)
    baseline = make_survey(programme, sample_rows())
    follow_up = make_survey(
        programme, sample_rows(), name="Seguimiento", round="follow_up", baseline=baseline
    )
    client = login_verified(Client(), users_a[Role.VIEWER])

    page = client.get(
        reverse("surveys:results_comparison", args=[follow_up.pk])
        + "?question=knows&dimension=country"
    )
    download = client.get(
        reverse("surveys:results_comparison_csv", args=[follow_up.pk]) + "?question=knows"
    )

    assert page.status_code == 200
    assert "Diagnóstico" in page.content.decode()  # the baseline is named
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    # The same data twice: no change.
    assert float(rows[0]["difference"]) == pytest.approx(0.0)


def test_a_question_name_with_a_double_underscore_is_read_too(
    survey: Survey, users_a: dict[str, User]
) -> None:
    # "__" cannot be spelt as a JSON key lookup: the answers are read whole instead.
    SurveyQuestion.objects.create(
        survey=survey, name="knows__v2", path="knows__v2", type="select_one", choices=CHOICES_KNOWS
    )
    for submission in Submission.objects.filter(survey=survey):
        submission.data["knows__v2"] = submission.data["knows"]
        submission.save(update_fields=["data"])

    renamed = results.question_results(
        user=users_a[Role.VIEWER], survey_id=survey.pk, question_name="knows__v2"
    )
    original = results.question_results(
        user=users_a[Role.VIEWER], survey_id=survey.pk, question_name="knows"
    )

    assert renamed.overall.rows == original.overall.rows


def test_a_survey_without_weights_counts_each_interview_once(
    survey: Survey, users_a: dict[str, User]
) -> None:
    Survey.objects.filter(pk=survey.pk).update(weight_question="", strata_question="")
    rows = sample_rows()
    answered = [r for r in rows if r["knows"]]

    found = results.question_results(
        user=users_a[Role.VIEWER], survey_id=survey.pk, question_name="knows"
    )

    yes = found.overall.rows[0].estimate
    assert yes is not None
    assert not found.weighted and not found.stratified and found.clustered
    assert yes.estimate == pytest.approx(
        sum(1 for r in answered if r["knows"] == "yes") / len(answered)
    )
    assert yes.weighted_total == len(answered)


def test_results_page_reads_a_bounded_number_of_queries(
    survey: Survey, users_a: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    client = login_verified(Client(), users_a[Role.VIEWER])
    url = reverse("surveys:results", args=[survey.pk]) + "?question=knows&dimension=country"
    client.get(url)  # warm the session

    more_rows = sample_rows() * 5
    Submission.objects.bulk_create(
        Submission(survey=survey, instance_id=f"more:{i}", data=data)
        for i, data in enumerate(more_rows)
    )
    # Whatever the number of interviews: session, user, membership, the survey and its
    # questions (for the form and for the estimate) and the submissions in one query.
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200
