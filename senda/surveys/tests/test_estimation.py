"""Design-based estimation checked against hand-computed and independently computed cases."""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Sequence
from fractions import Fraction

import pytest

from senda.surveys.estimation import (
    Z_95,
    Design,
    DesignError,
    Estimate,
    category_proportions,
    difference,
    mean,
    option_proportions,
    proportion,
)

# Two strata, five PSUs, nine interviews with unequal weights; y is a yes/no answer.
#   stratum A: PSU a1 (w=2, y=1) (w=2, y=0); PSU a2 (w=3, y=1) (w=1, y=1); PSU a3 (w=4, y=0)
#   stratum B: PSU b1 (w=1, y=0) (w=5, y=1); PSU b2 (w=2, y=0) (w=4, y=0)
STRATA = ["A", "A", "A", "A", "A", "B", "B", "B", "B"]
CLUSTERS = ["a1", "a1", "a2", "a2", "a3", "b1", "b1", "b2", "b2"]
WEIGHTS = [2.0, 2.0, 3.0, 1.0, 4.0, 1.0, 5.0, 2.0, 4.0]
ANSWERS = [True, False, True, True, False, False, True, False, False]


def _design(**kwargs: object) -> Design:
    return Design(weights=WEIGHTS, strata=STRATA, clusters=CLUSTERS, **kwargs)  # type: ignore[arg-type]


def test_stratified_cluster_proportion_matches_the_hand_computation() -> None:
    # sum(w) = 24, sum(w*y) = 2 + 3 + 1 + 5 = 11, so R = 11/24.
    # PSU totals of w*(y - R):
    #   a1 = 2(1-R) + 2(0-R) = 2 - 4R = 1/6      a2 = 4(1-R) = 13/6      a3 = -4R = -11/6
    #   b1 = 5 - 6R = 9/4                        b2 = -6R = -11/4
    # stratum A: mean 1/6, deviations 0, 2, -2, squares 8, times 3/2 -> 12
    # stratum B: mean -1/4, deviations 5/2, -5/2, squares 25/2, times 2/1 -> 25
    # V(R) = (12 + 25) / sum(w)^2 = 37/576, SE = sqrt(37)/24
    result = proportion(_design(), ANSWERS)

    assert result is not None
    assert result.estimate == pytest.approx(11 / 24, abs=1e-12)
    assert result.se == pytest.approx(math.sqrt(37) / 24, abs=1e-9)
    # 11/24 - 1.96 * 0.2534 is below zero: a share's interval is clamped at 0.
    assert result.ci_low == 0.0
    assert result.ci_high == pytest.approx(11 / 24 + 1.959963984540054 * math.sqrt(37) / 24)
    assert result.n == 9
    assert result.weighted_total == 24
    # SRS of n=9 from N=24: R(1-R) * 9/8 / 9 * (1 - 9/24) = 715/36864; deff = (37/576) / that.
    assert result.deff == pytest.approx(2368 / 715, abs=1e-9)


def test_domain_is_estimated_on_the_full_design_not_on_filtered_rows() -> None:
    # Domain: interviews 1, 4, 6, 7, 8 (a1, a2, b1, b1, b2); PSU a3 has nobody in it.
    domain = [True, False, False, True, False, True, True, True, False]
    # sum(w) = 2 + 1 + 1 + 5 + 2 = 11, sum(w*y) = 2 + 1 + 5 = 8, R = 8/11.
    # PSU totals of w*(y - R) in elevenths: a1 = 6, a2 = 3, a3 = 0, b1 = -8 + 15 = 7, b2 = -16
    # stratum A: mean 3, squares 9 + 0 + 9 = 18, times 3/2 -> 27
    # stratum B: mean -9/2, squares 2 * (23/2)^2 = 529/2, times 2 -> 529
    # V = (27 + 529) / 121 / 11^2 = 556/14641
    on_full_design = proportion(_design(), ANSWERS, domain=domain)
    # Filtering the rows drops PSU a3: stratum A has 2 PSUs (6, 3): squares 4.5, times 2 -> 9
    # V = (9 + 529) / 14641 = 538/14641, which understates the variance.
    kept = [i for i, member in enumerate(domain) if member]
    filtered = proportion(
        Design(
            weights=[WEIGHTS[i] for i in kept],
            strata=[STRATA[i] for i in kept],
            clusters=[CLUSTERS[i] for i in kept],
        ),
        [ANSWERS[i] for i in kept],
    )

    assert on_full_design is not None and filtered is not None
    assert on_full_design.estimate == pytest.approx(8 / 11, abs=1e-12)
    assert filtered.estimate == pytest.approx(8 / 11, abs=1e-12)
    assert on_full_design.se == pytest.approx(math.sqrt(556) / 121, abs=1e-9)
    assert filtered.se == pytest.approx(math.sqrt(538) / 121, abs=1e-9)
    assert on_full_design.se > filtered.se
    assert on_full_design.n == 5
    assert on_full_design.weighted_total == 11


def test_equal_weights_without_clusters_reduce_to_the_textbook_srs_formulas() -> None:
    values = [3.0, 7.0, 8.0, 1.0, 6.0, 2.0, 9.0, 4.0]
    n = len(values)
    sample_mean = sum(values) / n
    sample_variance = sum((v - sample_mean) ** 2 for v in values) / (n - 1)
    answers = [True, True, False, True, False, False, True, True, True, False]
    share = 6 / 10

    mean_result = mean(Design(weights=[1.0] * n), values)
    share_result = proportion(Design(weights=[1.0] * 10), answers)

    assert mean_result is not None and share_result is not None
    assert mean_result.estimate == pytest.approx(sample_mean)
    # SE of a mean under SRS (with replacement): s / sqrt(n).
    assert mean_result.se == pytest.approx(math.sqrt(sample_variance / n), abs=1e-12)
    # SE of a proportion: sqrt(p(1-p)/(n-1)).
    assert share_result.se == pytest.approx(math.sqrt(share * (1 - share) / 9), abs=1e-12)
    # Relative weights (sum = n): no population factor, the design effect of SRS is 1.
    assert mean_result.deff == pytest.approx(1.0, abs=1e-12)
    assert share_result.deff == pytest.approx(1.0, abs=1e-12)
    # The same sample with weights 50 (N = 50n): the factor 1 - n/N appears, as in R.
    scaled = mean(Design(weights=[50.0] * n), values)
    assert scaled is not None
    assert scaled.se == pytest.approx(mean_result.se, abs=1e-12)
    assert scaled.deff == pytest.approx(1 / (1 - 1 / 50), abs=1e-12)


def _independent_variance(
    weights: Sequence[float],
    strata: Sequence[Hashable],
    clusters: Sequence[Hashable],
    values: Sequence[float | None],
    domain: Sequence[bool],
) -> tuple[Fraction, Fraction]:
    """Another route to the same estimator, in exact fractions: the ratio's variance as
    sum_h n_h/(n_h-1) * (sum_i e_hi^2 - (sum_i e_hi)^2 / n_h) / X^2, where e_hi are the PSU
    sums of w*(y-R) over domain members (zero for a PSU without any), X = sum of w."""
    exact: dict[int, Fraction] = {
        i: Fraction(value) for i, value in enumerate(values) if value is not None and domain[i]
    }
    total_weight = Fraction(0)
    weighted_values = Fraction(0)
    for i, value in exact.items():
        total_weight += Fraction(weights[i])
        weighted_values += Fraction(weights[i]) * value
    ratio = weighted_values / total_weight
    psu_sums: dict[Hashable, dict[Hashable, Fraction]] = {}
    for i in range(len(weights)):
        psu_sums.setdefault(strata[i], {}).setdefault(clusters[i], Fraction(0))
    for i, value in exact.items():
        psu_sums[strata[i]][clusters[i]] += Fraction(weights[i]) * (value - ratio)
    variance = Fraction(0)
    for sums in psu_sums.values():
        count = len(sums)
        if count == 1:
            variance += next(iter(sums.values())) ** 2
            continue
        square_sum = sum((s * s for s in sums.values()), Fraction(0))
        sum_total = sum(sums.values(), Fraction(0))
        variance += Fraction(count, count - 1) * (square_sum - sum_total * sum_total / count)
    return ratio, variance / (total_weight * total_weight)


def test_matches_an_independent_exact_computation_on_random_designs() -> None:
    rng = random.Random(20261129)
    for _ in range(20):
        size = rng.randint(30, 80)
        strata = [rng.choice(["n", "s", "e", "w"]) for _ in range(size)]
        clusters = [rng.randint(1, 6) for _ in range(size)]
        weights = [rng.choice([0.5, 1.0, 2.5, 7.0, 13.25]) for _ in range(size)]
        values: list[float | None] = [
            None if rng.random() < 0.1 else float(rng.randint(0, 20)) for _ in range(size)
        ]
        domain = [rng.random() < 0.6 for _ in range(size)]
        design = Design(weights=weights, strata=strata, clusters=clusters)

        result = mean(design, values, domain=domain)
        ratio, variance = _independent_variance(weights, strata, clusters, values, domain)

        assert result is not None
        assert result.estimate == pytest.approx(float(ratio), abs=1e-9)
        assert result.se == pytest.approx(math.sqrt(variance), abs=1e-9)
        assert result.n == sum(1 for i in range(size) if domain[i] and values[i] is not None)


def test_a_stratum_with_a_single_psu_is_centred_on_the_grand_mean_or_refused() -> None:
    # Stratum C has only PSU c1: its linearised total counts fully (the grand mean is zero).
    weights = [*WEIGHTS, 3.0]
    strata = [*STRATA, "C"]
    clusters = [*CLUSTERS, "c1"]
    answers = [*ANSWERS, True]
    # sum(w) = 27, sum(w*y) = 14, R = 14/27; c1's total = 3 * (1 - 14/27) = 13/9.
    ratio, expected = _independent_variance(
        weights, strata, clusters, [float(a) for a in answers], [True] * 10
    )

    result = proportion(Design(weights=weights, strata=strata, clusters=clusters), answers)

    assert ratio == Fraction(14, 27)
    assert result is not None
    assert result.se == pytest.approx(math.sqrt(expected), abs=1e-9)
    with pytest.raises(DesignError, match="C"):
        Design(weights=weights, strata=strata, clusters=clusters, lonely_psu="fail")


def test_categories_and_options_are_shares_of_those_who_answered() -> None:
    design = Design(weights=[1.0, 2.0, 1.0, 4.0, 2.0])
    answers = ["yes", "no", None, "yes", "dont_know"]
    chosen: list[frozenset[str] | None] = [
        frozenset({"radio", "tv"}),
        frozenset({"tv"}),
        None,
        frozenset(),
        frozenset({"radio"}),
    ]

    shares = category_proportions(design, answers, ["yes", "no", "dont_know"])
    options = option_proportions(design, chosen, ["radio", "tv", "internet"])

    assert {k: v.estimate for k, v in shares.items() if v} == pytest.approx(
        {"yes": 5 / 9, "no": 2 / 9, "dont_know": 2 / 9}
    )
    assert all(v is not None and v.n == 4 for v in shares.values())
    assert {k: v.estimate for k, v in options.items() if v} == pytest.approx(
        {"radio": 3 / 9, "tv": 3 / 9, "internet": 0.0}
    )


def test_proportion_intervals_are_clamped_to_zero_and_one() -> None:
    design = Design(weights=[1.0, 5.0, 1.0, 1.0], clusters=["x", "y", "z", "z"])

    result = proportion(design, [True, False, False, False])

    assert result is not None
    assert result.estimate - Z_95 * result.se < 0
    assert result.ci_low == 0.0
    assert result.ci_high == pytest.approx(result.estimate + Z_95 * result.se)


def test_nobody_in_the_domain_gives_no_estimate() -> None:
    assert proportion(_design(), ANSWERS, domain=[False] * 9) is None
    assert mean(_design(), [None] * 9) is None


def test_difference_of_independent_surveys_adds_the_variances() -> None:
    baseline = Estimate(0.59, 0.02, 0.0, 1.0, 1.5, 800, 1e6)
    follow_up = Estimate(0.41, 0.015, 0.0, 1.0, 1.4, 700, 1e6)

    change = difference(baseline, follow_up)

    assert change.difference == pytest.approx(-0.18)
    assert change.se == pytest.approx(0.025, abs=1e-12)  # sqrt(0.02^2 + 0.015^2)
    assert change.ci_low == pytest.approx(-0.18 - Z_95 * 0.025)
    assert change.ci_high == pytest.approx(-0.18 + Z_95 * 0.025)


def test_bad_designs_are_refused_with_a_clear_message() -> None:
    with pytest.raises(DesignError):
        Design(weights=[1.0, 0.0])
    with pytest.raises(DesignError):
        Design(weights=[1.0, float("nan")])
    with pytest.raises(DesignError):
        Design(weights=[1.0, 2.0], strata=["a"])
    with pytest.raises(DesignError):
        mean(Design(weights=[1.0, 2.0]), [1.0])
