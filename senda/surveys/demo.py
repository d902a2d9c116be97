"""Demo surveys: a synthetic (clearly FAKE) diagnostic survey of 2,800 interviews across
Mexico, Guatemala, Honduras, El Salvador and Nicaragua, and a follow-up survey that shows
change, imported through the surveys' own actions like any Kobo export.

The sample is stratified by country x urban/rural, clustered (about 20 interviews per
segment) and weighted (the stratum's fictional population over its interviews, adjusted per
segment). Answers are built deterministically so that the WEIGHTED estimates reproduce, to the
percent, the published diagnostic figures quoted in the programme brief (example content):

- 59% of migrants in transit in Mexico do not know which documents they need, 49% do not know
  where to look for information on migrating regularly (97% would make a great effort);
- more than 80% in Honduras, Guatemala and El Salvador want information on regular channels,
  and 59-70% would take up local education, work or entrepreneurship opportunities;
- 60% of the adolescents interviewed in Nicaragua do not know the difference between
  travelling regularly and irregularly;
- 81-89% per country would visit a Migration Information Centre.

Each interview gets a score (its segment's and stratum's leaning plus its own), and "yes" goes
to the highest scores, by weight, until the weighted share reaches the figure: answers cluster
by segment (design effects above 1) and unweighted shares differ from weighted ones, as in a
real survey. No random state is shared with anything else: the same data on every run.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from openpyxl import Workbook

from senda.accounts.models import User
from senda.insights.models import Programme
from senda.surveys import actions
from senda.surveys.models import Survey, SurveyRound

SOURCE_NOTE = "published diagnostic figures quoted in the programme brief (example content)"
BASELINE_FORM_ID = "senda_demo_diagnostico"
FOLLOW_UP_FORM_ID = "senda_demo_seguimiento"
BASELINE_NAME = "Diagnóstico 2025 — FAKE: datos sintéticos de ejemplo (synthetic example data)"
FOLLOW_UP_NAME = "Seguimiento 2026 — FAKE: datos sintéticos de ejemplo (synthetic example data)"
_NAMESPACE = uuid.UUID("5e4da000-0000-4000-8000-00000000de40")

COUNTRIES = ("MX", "GT", "HN", "SV", "NI")
COUNTRY_LABELS = {
    "MX": ("Mexico", "México"),
    "GT": ("Guatemala", "Guatemala"),
    "HN": ("Honduras", "Honduras"),
    "SV": ("El Salvador", "El Salvador"),
    "NI": ("Nicaragua", "Nicaragua"),
}
# Interviews per country and per stratum (urban, rural): 2,800 in the baseline.
BASELINE_SAMPLE = {
    "MX": (480, 320),
    "GT": (300, 200),
    "HN": (300, 200),
    "SV": (300, 200),
    "NI": (300, 200),
}
FOLLOW_UP_SAMPLE = {
    "MX": (240, 160),
    "GT": (165, 110),
    "HN": (165, 110),
    "SV": (165, 110),
    "NI": (165, 110),
}
# Fictional populations the strata stand for (urban, rural): the weights add up to them.
POPULATION = {
    "MX": (310_000, 140_000),
    "GT": (820_000, 960_000),
    "HN": (700_000, 650_000),
    "SV": (690_000, 380_000),
    "NI": (260_000, 210_000),
}
SEGMENT_SIZE = 20
# Segment weight adjustments (non-response within the segment), applied in turn.
SEGMENT_FACTORS = (1.0, 0.86, 1.12, 0.95, 1.21, 0.9, 1.05)

# The weighted share answering "yes", in percent, per question and country. The published
# figures are: MX knows_documents 41 (59% do not know), MX knows_where_to_look 51 (49% do
# not), GT/HN/SV wants_channel_info > 80, GT/HN/SV local_opportunities 59-70, NI
# knows_difference 40 (60% do not), would_visit_centre 81-89 everywhere.
BASELINE_TARGETS: dict[str, dict[str, int]] = {
    "knows_documents": {"MX": 41, "GT": 47, "HN": 44, "SV": 52, "NI": 38},
    "knows_where_to_look": {"MX": 51, "GT": 55, "HN": 49, "SV": 58, "NI": 45},
    "great_effort_documents": {"MX": 97, "GT": 90, "HN": 92, "SV": 89, "NI": 88},
    "wants_channel_info": {"MX": 78, "GT": 84, "HN": 86, "SV": 82, "NI": 77},
    "local_opportunities": {"MX": 55, "GT": 59, "HN": 64, "SV": 70, "NI": 66},
    "knows_difference": {"MX": 58, "GT": 51, "HN": 47, "SV": 55, "NI": 40},
    "would_visit_centre": {"MX": 81, "GT": 85, "HN": 89, "SV": 87, "NI": 83},
    "uses_internet": {"MX": 87, "GT": 61, "HN": 58, "SV": 74, "NI": 52},
}
# A year of campaigns later: more people know, as the programme hopes (synthetic, too).
FOLLOW_UP_TARGETS: dict[str, dict[str, int]] = {
    "knows_documents": {"MX": 56, "GT": 58, "HN": 55, "SV": 61, "NI": 49},
    "knows_where_to_look": {"MX": 67, "GT": 66, "HN": 60, "SV": 69, "NI": 57},
    "great_effort_documents": {"MX": 96, "GT": 91, "HN": 92, "SV": 90, "NI": 89},
    "wants_channel_info": {"MX": 80, "GT": 85, "HN": 86, "SV": 83, "NI": 79},
    "local_opportunities": {"MX": 58, "GT": 63, "HN": 66, "SV": 72, "NI": 68},
    "knows_difference": {"MX": 66, "GT": 60, "HN": 57, "SV": 63, "NI": 54},
    "would_visit_centre": {"MX": 84, "GT": 87, "HN": 90, "SV": 88, "NI": 86},
    "uses_internet": {"MX": 88, "GT": 64, "HN": 61, "SV": 76, "NI": 56},
}
YES_NO_QUESTIONS: dict[str, tuple[str, str]] = {
    "knows_documents": (
        "Do you know which documents you need to migrate regularly?",
        "¿Sabe qué documentos necesita para migrar de forma regular?",
    ),
    "knows_where_to_look": (
        "Do you know where to look for information on migrating regularly?",
        "¿Sabe dónde buscar información para migrar de forma regular?",
    ),
    "great_effort_documents": (
        "Would you make a great effort to get the documents to regularise your stay?",
        "¿Haría un gran esfuerzo por conseguir los documentos para regularizar su estancia?",
    ),
    "wants_channel_info": (
        "Would you like information on regular migration channels?",
        "¿Le gustaría recibir información sobre las vías de migración regular?",
    ),
    "local_opportunities": (
        "Would you take up a local education, work or entrepreneurship opportunity instead "
        "of migrating irregularly?",
        "¿Aprovecharía una oportunidad local de estudio, trabajo o emprendimiento en lugar "
        "de migrar de forma irregular?",
    ),
    "knows_difference": (
        "Do you know the difference between travelling regularly and irregularly?",
        "¿Conoce la diferencia entre viajar de forma regular e irregular?",
    ),
    "would_visit_centre": (
        "Would you visit a Migration Information Centre?",
        "¿Visitaría un Centro de Información sobre Migración?",
    ),
    "uses_internet": ("Do you use the internet?", "¿Usa internet?"),
}
# How much more likely an urban interview is to answer "yes" (in score units), so that
# urban and rural strata differ and weighting matters.
URBAN_LEANING = {
    "knows_documents": 0.5,
    "knows_where_to_look": 0.6,
    "knows_difference": 0.4,
    "uses_internet": 0.9,
    "local_opportunities": -0.2,
}
SOURCES = ("radio", "tv", "social_media", "family_friends", "school", "information_point")


@dataclass
class _Interview:
    instance_id: str
    submitted_at: datetime
    country: str
    area_type: str
    segment: int
    weight: float
    sex: str
    age: int
    age_group: str
    profile: str
    answers: dict[str, str] = field(default_factory=dict)


def build_xlsform(*, form_id: str, version: str, title: str) -> bytes:
    """The diagnostic questionnaire as an XLSForm (the same for both rounds)."""
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    header = [
        "type",
        "name",
        "label::English (en)",
        "label::Español (es)",
        "calculation",
        "required",
    ]
    survey.append(header)
    rows: list[list[str]] = [
        ["start", "start", "", "", "", ""],
        ["end", "end", "", "", "", ""],
        ["begin_group", "sample", "Sample", "Muestra", "", ""],
        ["select_one country", "country", "Country", "País", "", "yes"],
        ["select_one area_type", "area_type", "Urban or rural", "Urbano o rural", "", "yes"],
        ["integer", "segment", "Segment (cluster) code", "Código del segmento", "", "yes"],
        ["calculate", "stratum", "", "", "concat(${country}, '-', ${area_type})", ""],
        ["decimal", "weight", "Sampling weight", "Peso muestral", "", ""],
        ["end_group", "", "", "", "", ""],
        ["begin_group", "profile_group", "Profile", "Perfil", "", ""],
        ["select_one sex", "sex", "Sex", "Sexo", "", "yes"],
        ["integer", "age", "Age", "Edad", "", "yes"],
        ["select_one age_group", "age_group", "Age group", "Grupo de edad", "", "yes"],
        ["select_one profile", "profile", "Profile", "Perfil", "", "yes"],
        ["end_group", "", "", "", "", ""],
    ]
    rows += [
        ["select_one yes_no", name, english, spanish, "", "yes"]
        for name, (english, spanish) in YES_NO_QUESTIONS.items()
    ]
    rows.append(
        [
            "select_multiple sources",
            "info_sources",
            "Where do you get information about migration?",
            "¿Dónde se informa sobre la migración?",
            "",
            "",
        ]
    )
    rows.append(["text", "comments", "Comments", "Comentarios", "", ""])
    for row in rows:
        survey.append(row)
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Español (es)"])
    for code in COUNTRIES:
        choices.append(["country", code, *COUNTRY_LABELS[code]])
    choices.append(["area_type", "urban", "Urban", "Urbano"])
    choices.append(["area_type", "rural", "Rural", "Rural"])
    choices.append(["sex", "female", "Female", "Mujer"])
    choices.append(["sex", "male", "Male", "Hombre"])
    choices.append(["age_group", "13_17", "13-17 (adolescents)", "13-17 (adolescentes)"])
    choices.append(["age_group", "18_24", "18-24", "18-24"])
    choices.append(["age_group", "25_plus", "25 and over", "25 y más"])
    choices.append(["profile", "migrant", "Migrant in transit", "Migrante en tránsito"])
    choices.append(["profile", "host", "Resident (host community)", "Residente (comunidad)"])
    choices.append(["yes_no", "yes", "Yes", "Sí"])
    choices.append(["yes_no", "no", "No", "No"])
    source_labels = {
        "radio": ("Radio", "Radio"),
        "tv": ("Television", "Televisión"),
        "social_media": ("Social media", "Redes sociales"),
        "family_friends": ("Family and friends", "Familia y amistades"),
        "school": ("School", "Escuela"),
        "information_point": ("An information point", "Un punto de información"),
    }
    for name in SOURCES:
        choices.append(["sources", name, *source_labels[name]])
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append([title, form_id, version, "Español (es)"])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _interviews(
    *,
    sample: dict[str, tuple[int, int]],
    targets: dict[str, dict[str, int]],
    seed: int,
    start: datetime,
) -> list[_Interview]:
    rng = random.Random(seed)  # noqa: S311 (synthetic demo answers, not a secret)
    interviews: list[_Interview] = []
    segment_number = 0
    for country in COUNTRIES:
        for stratum_index, area_type in enumerate(("urban", "rural")):
            count = sample[country][stratum_index]
            base_weight = POPULATION[country][stratum_index] / count
            for position in range(count):
                if position % SEGMENT_SIZE == 0:
                    segment_number += 1
                    factor = SEGMENT_FACTORS[segment_number % len(SEGMENT_FACTORS)]
                number = len(interviews)
                # Nicaragua's interviews are with adolescents in schools; Mexico's with
                # migrants in transit (adults and some adolescents).
                if country == "NI":
                    age = rng.randint(13, 17)
                elif country == "MX":
                    age = rng.randint(16, 45)
                else:
                    age = rng.randint(14, 40)
                age_group = "13_17" if age < 18 else ("18_24" if age < 25 else "25_plus")
                interviews.append(
                    _Interview(
                        instance_id=f"uuid:{uuid.uuid5(_NAMESPACE, f'{seed}-{number}')}",
                        submitted_at=start + timedelta(minutes=37 * number),
                        country=country,
                        area_type=area_type,
                        segment=segment_number,
                        weight=round(base_weight * factor, 2),
                        sex="female" if rng.random() < 0.52 else "male",
                        age=age,
                        age_group=age_group,
                        profile="migrant" if country == "MX" else "host",
                    )
                )
    for question, by_country in targets.items():
        segment_leaning = {s: rng.gauss(0, 0.35) for s in {i.segment for i in interviews}}
        for country in COUNTRIES:
            members = [i for i in interviews if i.country == country]
            scores = {
                i.instance_id: segment_leaning[i.segment]
                + (URBAN_LEANING.get(question, 0.0) if i.area_type == "urban" else 0.0)
                + rng.gauss(0, 1)
                for i in members
            }
            _assign_yes(members, question, by_country[country] / 100, scores)
    for interview in interviews:
        chosen = [name for name in SOURCES if rng.random() < _source_share(interview, name)]
        interview.answers["info_sources"] = " ".join(chosen)
    return interviews


def _source_share(interview: _Interview, source: str) -> float:
    internet = interview.answers.get("uses_internet") == "yes"
    return {
        "radio": 0.45 if interview.area_type == "rural" else 0.25,
        "tv": 0.4,
        "social_media": 0.75 if internet else 0.05,
        "family_friends": 0.6,
        "school": 0.7 if interview.age_group == "13_17" else 0.05,
        "information_point": 0.15,
    }[source]


def _assign_yes(
    members: list[_Interview], question: str, share: float, scores: dict[str, float]
) -> None:
    """'yes' to the highest scores while the weighted share stays within half a weight of
    ``share``: the weighted estimate is the figure to within a fraction of a percent."""
    total = sum(i.weight for i in members)
    goal = share * total
    reached = 0.0
    for interview in sorted(members, key=lambda i: (-scores[i.instance_id], i.instance_id)):
        if reached + interview.weight <= goal + interview.weight / 2:
            interview.answers[question] = "yes"
            reached += interview.weight
        else:
            interview.answers[question] = "no"


def _export_csv(interviews: list[_Interview]) -> bytes:
    """The interviews as KoboToolbox writes a CSV export (';' separated, XML values)."""
    columns = [
        "start",
        "end",
        "country",
        "area_type",
        "segment",
        "stratum",
        "weight",
        "sex",
        "age",
        "age_group",
        "profile",
        *YES_NO_QUESTIONS,
        "info_sources",
        "comments",
        "_id",
        "_uuid",
        "_submission_time",
    ]
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";")
    writer.writerow(columns)
    for number, interview in enumerate(interviews, start=1):
        start = interview.submitted_at - timedelta(minutes=18)
        values = {
            "start": start.isoformat(),
            "end": interview.submitted_at.isoformat(),
            "country": interview.country,
            "area_type": interview.area_type,
            "segment": str(interview.segment),
            "stratum": f"{interview.country}-{interview.area_type}",
            "weight": f"{interview.weight:.2f}",
            "sex": interview.sex,
            "age": str(interview.age),
            "age_group": interview.age_group,
            "profile": interview.profile,
            **interview.answers,
            "comments": "FAKE",
            "_id": str(number),
            "_uuid": interview.instance_id.removeprefix("uuid:"),
            "_submission_time": interview.submitted_at.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        writer.writerow([values.get(column, "") for column in columns])
    return output.getvalue().encode("utf-8")


DESIGN = {
    "weight_question": "weight",
    "strata_question": "stratum",
    "cluster_question": "segment",
    "dimension_questions": {
        "country": "country",
        "sex": "sex",
        "age_group": "age_group",
        "community": "profile",
    },
}


def _load_round(
    *,
    programme: Programme,
    actor: User,
    name: str,
    round: str,
    form_id: str,
    version: str,
    baseline: Survey | None,
    interviews: Callable[[], list[_Interview]],
) -> Survey:
    existing = Survey.objects.filter(programme=programme, form_id=form_id).first()
    if existing is not None:
        return existing
    title = f"FAKE synthetic example data. Source of the figures: {SOURCE_NOTE}"
    survey = actions.survey_create(
        actor=actor,
        programme=programme,
        name=name,
        round=round,
        xlsform=build_xlsform(form_id=form_id, version=version, title=title),
        filename=f"{form_id}.xlsx",
        baseline=baseline,
    )
    # The design first: the import keeps the answers of the questions the design names.
    survey = actions.survey_set_design(actor=actor, survey=survey, **DESIGN)  # type: ignore[arg-type]
    actions.submissions_import(
        actor=actor,
        survey=survey,
        content=_export_csv(interviews()),
        filename=f"{form_id}_kobo_export.csv",
    )
    return survey


def load_demo(*, programme: Programme, actor: User) -> tuple[Survey, Survey]:
    """The synthetic baseline (2,800 interviews) and follow-up (1,500) surveys of
    ``programme``, created by ``actor`` (a programme officer of its lead) through the
    surveys' actions; an existing demo survey is kept as it is."""
    baseline = _load_round(
        programme=programme,
        actor=actor,
        name=BASELINE_NAME,
        round=SurveyRound.BASELINE,
        form_id=BASELINE_FORM_ID,
        version="2025-1",
        baseline=None,
        interviews=lambda: _interviews(
            sample=BASELINE_SAMPLE,
            targets=BASELINE_TARGETS,
            seed=2025,
            start=datetime(2025, 3, 3, 14, 0, tzinfo=UTC),
        ),
    )
    follow_up = _load_round(
        programme=programme,
        actor=actor,
        name=FOLLOW_UP_NAME,
        round=SurveyRound.FOLLOW_UP,
        form_id=FOLLOW_UP_FORM_ID,
        version="2026-1",
        baseline=baseline,
        interviews=lambda: _interviews(
            sample=FOLLOW_UP_SAMPLE,
            targets=FOLLOW_UP_TARGETS,
            seed=2026,
            start=datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
        ),
    )
    return baseline, follow_up
