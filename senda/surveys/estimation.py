"""Design-based estimates of survey means and proportions (plain Python, no numpy).

The method is the one R's ``survey`` package and Stata's ``svy`` use by default:

- The design is a weight per interview, optional strata and optional clusters (primary
  sampling units, PSUs). A PSU is identified within its stratum (R's ``nest=TRUE``); without
  clusters every interview is its own PSU; without strata the whole sample is one stratum.
- A mean (and a proportion, the mean of a 0/1 variable) is the ratio estimator
  ``R = sum(w*y) / sum(w)``. Its variance is estimated by Taylor linearisation: each interview's
  linearised value is ``z = w * (y - R) / sum(w)``, and the variance is the with-replacement
  (ultimate-cluster) variance of the PSU totals of ``z``:
  ``V = sum over strata h of n_h / (n_h - 1) * sum over PSUs i of (t_hi - mean_h(t))**2``.
  No finite population correction is applied (R's default without ``fpc``).
- A stratum with a single PSU is handled like R's ``options(survey.lonely.psu = "adjust")``: its
  PSU total is centred on the grand mean of all PSU totals instead of its stratum mean (with no
  ``n_h / (n_h - 1)`` factor), which is conservative. For means and proportions the grand mean
  of the linearised totals is zero, so the stratum contributes ``t_h1 ** 2``. Pass
  ``lonely_psu="fail"`` to refuse such a design with a clear message instead.
- Domains (a country, the women, ...) are estimated on the full design: ``y`` and the weight are
  multiplied by the domain indicator, and every PSU of the design still counts (with a zero
  total when it has no member of the domain). Filtering the rows first would drop those PSUs
  and understate the variance. Interviews with no answer are treated the same way (R's
  ``na.rm=TRUE``): outside the domain of those who answered.
- The 95% confidence interval is ``estimate +- z * SE`` with ``z`` the normal quantile
  ``qnorm(0.975)`` (R's ``confint`` default). For proportions the interval is clamped to
  [0, 1]: a share cannot be negative or above 100%, whatever the normal approximation says.
- The design effect is the design variance divided by the variance a simple random sample of
  the same unweighted n would have, as R's ``svymean(..., deff=TRUE)``: the SRS variance is
  ``s2 / n * (1 - n / N)`` with ``s2`` the weighted variance (with ``n / (n - 1)``) and ``N`` the
  sum of the weights. When the weights do not add up to more than n (relative weights, not
  population-scaled ones) the factor ``(1 - n / N)`` is meaningless and is left out (R's
  ``deff="replace"``).
- The difference of two independent surveys' estimates (a baseline and its follow-up) has the
  standard error ``sqrt(se1**2 + se2**2)`` and the same normal interval.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from django.utils.translation import gettext as _

# qnorm(0.975) = 1.959963984540054, as R's confint() uses for a 95% interval.
Z_95 = NormalDist().inv_cdf(0.975)

LonelyPsu = Literal["adjust", "fail"]


class DesignError(ValueError):
    """A design or a variable that cannot be estimated; the message says why (translated)."""


@dataclass(frozen=True)
class Estimate:
    """One design-based estimate with what a reader needs to judge it."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    # None when it cannot be computed (fewer than two respondents, or no SRS variance).
    deff: float | None
    # Interviews that contributed (in the domain and answered): the unweighted n.
    n: int
    # Sum of their weights: the estimated population the estimate speaks for.
    weighted_total: float


@dataclass(frozen=True)
class Difference:
    """The change from a baseline estimate to a follow-up estimate (independent samples)."""

    difference: float
    se: float
    ci_low: float
    ci_high: float


class Design:
    """A survey design: a weight per interview, and optional strata and clusters (PSUs).

    The grouping of interviews into PSUs is computed once here, so that many estimates (every
    category of a question, every domain) reuse it."""

    def __init__(
        self,
        *,
        weights: Sequence[float],
        strata: Sequence[Hashable] | None = None,
        clusters: Sequence[Hashable] | None = None,
        lonely_psu: LonelyPsu = "adjust",
    ) -> None:
        size = len(weights)
        if strata is not None and len(strata) != size:
            raise DesignError(_("The strata do not have one value per interview."))
        if clusters is not None and len(clusters) != size:
            raise DesignError(_("The clusters do not have one value per interview."))
        for position, weight in enumerate(weights):
            if not (isinstance(weight, int | float) and math.isfinite(weight) and weight > 0):
                raise DesignError(
                    _("Interview %(number)d has no valid weight (a positive number is needed).")
                    % {"number": position + 1}
                )
        self.weights: list[float] = [float(weight) for weight in weights]
        self.size = size
        stratum_of = list(strata) if strata is not None else [None] * size
        # A PSU is named within its stratum (R's nest=TRUE); without clusters each interview
        # is its own PSU.
        psu_keys: list[tuple[Hashable, Hashable]] = [
            (stratum_of[i], clusters[i] if clusters is not None else i) for i in range(size)
        ]
        psu_index: dict[tuple[Hashable, Hashable], int] = {}
        self.psu_of: list[int] = []
        psu_stratum: list[Hashable] = []
        for key in psu_keys:
            index = psu_index.get(key)
            if index is None:
                index = psu_index[key] = len(psu_stratum)
                psu_stratum.append(key[0])
            self.psu_of.append(index)
        self.psu_count = len(psu_stratum)
        strata_psus: dict[Hashable, list[int]] = {}
        for index, stratum in enumerate(psu_stratum):
            strata_psus.setdefault(stratum, []).append(index)
        self.strata_psus: list[list[int]] = list(strata_psus.values())
        if lonely_psu == "fail":
            lonely = [s for s, psus in strata_psus.items() if len(psus) == 1]
            if lonely:
                raise DesignError(
                    _(
                        "Stratum %(stratum)s has a single cluster: its variance cannot be "
                        "estimated. Merge it with a similar stratum."
                    )
                    % {"stratum": lonely[0]}
                )
        self.lonely_psu: LonelyPsu = lonely_psu

    def variance_of_total(self, linearised: Sequence[float]) -> float:
        """The with-replacement variance of the estimated total of ``linearised`` (one value
        per interview): between-PSU variance within each stratum, summed over strata."""
        if len(linearised) != self.size:
            raise DesignError(_("The variable does not have one value per interview."))
        return self.variance_of_sparse_total(enumerate(linearised))

    def variance_of_sparse_total(self, linearised: Iterable[tuple[int, float]]) -> float:
        """The same from (interview position, value) pairs, the others being zero: a domain's
        estimate touches only its members, yet every PSU of the design counts."""
        psu_totals = [0.0] * self.psu_count
        psu_of = self.psu_of
        for position, value in linearised:
            psu_totals[psu_of[position]] += value
        grand_mean = sum(psu_totals) / self.psu_count if self.psu_count else 0.0
        variance = 0.0
        for psus in self.strata_psus:
            count = len(psus)
            if count == 1:
                # survey.lonely.psu = "adjust": centre on the grand mean of the PSU totals.
                variance += (psu_totals[psus[0]] - grand_mean) ** 2
                continue
            stratum_mean = sum(psu_totals[p] for p in psus) / count
            squares = sum((psu_totals[p] - stratum_mean) ** 2 for p in psus)
            variance += count / (count - 1) * squares
        return variance


def mean(
    design: Design,
    values: Sequence[float | None],
    *,
    domain: Sequence[bool] | None = None,
    proportion: bool = False,
) -> Estimate | None:
    """The weighted mean of ``values`` (None = no answer) in ``domain`` (all interviews when
    None), estimated on the full design; None when nobody in the domain answered.
    ``proportion=True`` clamps the interval to [0, 1] (``values`` are then 0/1)."""
    if len(values) != design.size or (domain is not None and len(domain) != design.size):
        raise DesignError(_("The variable does not have one value per interview."))
    members = _members(values, domain)
    return _ratio(design, members, [values[i] for i in members], proportion=proportion)  # type: ignore[misc]


def _members(answers: Sequence[object | None], domain: Sequence[bool] | None) -> list[int]:
    """The interviews that count: in the domain and answered."""
    if domain is None:
        return [i for i, answer in enumerate(answers) if answer is not None]
    return [i for i, answer in enumerate(answers) if answer is not None and domain[i]]


def _ratio(
    design: Design, members: list[int], values: list[float], *, proportion: bool
) -> Estimate | None:
    """sum(w*y)/sum(w) over ``members`` (``values`` are theirs, in order) with its linearised
    variance on the full design: non-members contribute zero, their PSUs still count."""
    if not members:
        return None
    weights = design.weights
    member_weights = [weights[i] for i in members]
    weight_sum = sum(member_weights)
    ratio = sum(w * y for w, y in zip(member_weights, values, strict=True)) / weight_sum
    deviations = [y - ratio for y in values]
    linearised = [
        (i, w * d / weight_sum) for i, w, d in zip(members, member_weights, deviations, strict=True)
    ]
    weighted_squares = sum(w * d * d for w, d in zip(member_weights, deviations, strict=True))
    count = len(members)
    variance = max(design.variance_of_sparse_total(linearised), 0.0)
    se = math.sqrt(variance)
    low, high = ratio - Z_95 * se, ratio + Z_95 * se
    if proportion:
        low, high = max(low, 0.0), min(high, 1.0)
    return Estimate(
        estimate=ratio,
        se=se,
        ci_low=low,
        ci_high=high,
        deff=_design_effect(variance, weighted_squares, weight_sum, count),
        n=count,
        weighted_total=weight_sum,
    )


def _design_effect(
    variance: float, weighted_squares: float, weight_sum: float, count: int
) -> float | None:
    """Design variance over the variance of a simple random sample of the same n (R's
    ``deff=TRUE``; without the finite population factor when the weights are relative)."""
    if count < 2:
        return None
    population_variance = weighted_squares / weight_sum * count / (count - 1)
    srs_variance = population_variance / count
    if weight_sum > count:
        srs_variance *= 1 - count / weight_sum
    if srs_variance <= 0:
        return None
    return variance / srs_variance


def proportion(
    design: Design, indicators: Sequence[bool | None], *, domain: Sequence[bool] | None = None
) -> Estimate | None:
    """The weighted share of interviews where ``indicators`` is true, among those who answered
    (None = no answer) in ``domain``."""
    values = [None if flag is None else (1.0 if flag else 0.0) for flag in indicators]
    return mean(design, values, domain=domain, proportion=True)


def category_proportions(
    design: Design,
    answers: Sequence[str | None],
    categories: Iterable[str],
    *,
    domain: Sequence[bool] | None = None,
) -> dict[str, Estimate | None]:
    """The share of each category of a select_one question among those who answered it."""
    _check_length(design, answers, domain)
    # Those who answered are the same for every category: found once.
    members = _members(answers, domain)
    answered = [answers[i] for i in members]
    return {
        category: _ratio(
            design,
            members,
            [1.0 if answer == category else 0.0 for answer in answered],
            proportion=True,
        )
        for category in categories
    }


def option_proportions(
    design: Design,
    answers: Sequence[frozenset[str] | None],
    options: Iterable[str],
    *,
    domain: Sequence[bool] | None = None,
) -> dict[str, Estimate | None]:
    """The share choosing each option of a select_multiple question among those who answered
    it (an option's shares need not add up to 100%)."""
    _check_length(design, answers, domain)
    members = _members(answers, domain)
    answered: list[frozenset[str]] = [answers[i] for i in members]  # type: ignore[misc]
    return {
        option: _ratio(
            design,
            members,
            [1.0 if option in chosen else 0.0 for chosen in answered],
            proportion=True,
        )
        for option in options
    }


def _check_length(design: Design, answers: Sequence[object], domain: Sequence[bool] | None) -> None:
    if len(answers) != design.size or (domain is not None and len(domain) != design.size):
        raise DesignError(_("The variable does not have one value per interview."))


def difference(baseline: Estimate, follow_up: Estimate) -> Difference:
    """Follow-up minus baseline, for two independent samples: the variances add up."""
    change = follow_up.estimate - baseline.estimate
    se = math.sqrt(baseline.se**2 + follow_up.se**2)
    return Difference(
        difference=change, se=se, ci_low=change - Z_95 * se, ci_high=change + Z_95 * se
    )
