"""The demo surveys: the synthetic diagnostic survey (2,800 interviews in five countries) and
its follow-up, in the region-wide campaigns programme, imported by the coordination's
programme officer through the surveys' actions (see ``senda.surveys.demo``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from senda.insights.demo import CAMPAIGNS_SLUG, OFFICER
from senda.insights.models import Programme
from senda.surveys.demo import BASELINE_FORM_ID, FOLLOW_UP_FORM_ID, load_demo
from senda.surveys.models import Survey

if TYPE_CHECKING:
    from senda.core.demo.world import DemoWorld

# Found by form id, as load_demo finds them: a renamed demo survey is still the demo one.
DEMO_FORM_IDS = (BASELINE_FORM_ID, FOLLOW_UP_FORM_ID)


def _demo_surveys() -> list[Survey]:
    return list(
        Survey.objects.filter(programme__slug=CAMPAIGNS_SLUG, form_id__in=DEMO_FORM_IDS).order_by(
            "created_at"
        )
    )


def load(world: DemoWorld) -> None:
    """Import the two demo surveys unless they are there already."""
    if len(_demo_surveys()) == len(DEMO_FORM_IDS):
        return
    programme = Programme.objects.get(slug=CAMPAIGNS_SLUG)
    load_demo(programme=programme, actor=world.user(OFFICER))
    world.loaded.append("surveys")


def summary() -> str:
    """One line on the demo surveys."""
    counts = ", ".join(
        f"{survey.round} {survey.submissions.count()} interviews" for survey in _demo_surveys()
    )
    return f"Surveys: synthetic example data ({counts})."


def reset() -> None:
    """Delete the demo surveys (their questions and interviews go with them)."""
    Survey.objects.filter(pk__in=[survey.pk for survey in _demo_surveys()]).delete()
