"""The indicators every programme starts with (issue 6's list), as data. Installed by a data
migration on a fresh database and by ``indicators_install_defaults`` (the demo, the command
``install_default_indicators``); both add only the codes that are missing."""

from __future__ import annotations

from typing import Any

PERSON_DIMENSIONS = ["sex", "age_group", "nationality", "community"]
PLACE_AND_TIME = ["country", "area", "week", "month", "quarter", "organisation"]
TALLY_DIMENSIONS = ["sex", "age_group", "community"]
CAMPAIGN_DIMENSIONS = ["country", "week", "month", "quarter", "campaign", "placement"]

# (code, Spanish name, English name, Spanish definition, English definition, fields)
DEFAULT_INDICATORS: list[dict[str, Any]] = [
    {
        "code": "people-reached",
        "name": "Personas alcanzadas",
        "name_en": "People reached",
        "definition": "Personas registradas con su consentimiento más las personas contadas en "
        "las actividades de alcance comunitario (sin datos personales).",
        "definition_en": "People registered with their consent plus the people tallied at "
        "outreach activities (no personal data).",
        "unit": "count",
        "measure": "parts",
        "parts": [
            {"source": "people", "measure": "people", "filters": {}},
            {"source": "outreach", "measure": "sum", "filters": {}},
        ],
        "allowed_dimensions": [*PLACE_AND_TIME, *TALLY_DIMENSIONS],
        "default_dimension": "area",
    },
    {
        "code": "people-registered",
        "name": "Personas registradas",
        "name_en": "People registered",
        "definition": "Personas distintas registradas en el periodo (un registro fusionado con "
        "otro cuenta una vez).",
        "definition_en": "Different people registered in the period (a record merged into "
        "another counts once).",
        "unit": "count",
        "source": "people",
        "measure": "people",
        "allowed_dimensions": [*PLACE_AND_TIME, *PERSON_DIMENSIONS],
        "default_dimension": "sex",
    },
    {
        "code": "orientations-by-topic",
        "name": "Orientaciones por tema",
        "name_en": "Orientations by topic",
        "definition": "Orientaciones dadas en el periodo; una orientación que trata varios "
        "temas cuenta en cada uno y una vez en el total.",
        "definition_en": "Orientations given in the period; one covering several topics counts "
        "under each and once in the total.",
        "unit": "count",
        "source": "orientations",
        "measure": "count",
        "allowed_dimensions": [*PLACE_AND_TIME, *PERSON_DIMENSIONS, "topic", "channel"],
        "default_dimension": "topic",
    },
    {
        "code": "referrals-by-reason",
        "name": "Referencias por motivo y estado",
        "name_en": "Referrals by reason and status",
        "definition": "Referencias enviadas en el periodo a servicios de salud y protección.",
        "definition_en": "Referrals sent in the period to health and protection services.",
        "unit": "count",
        "source": "referrals",
        "measure": "count",
        "allowed_dimensions": [*PLACE_AND_TIME, *PERSON_DIMENSIONS, "reason", "status"],
        "default_dimension": "reason",
    },
    {
        "code": "referrals-attended-share",
        "name": "Referencias atendidas",
        "name_en": "Share of referrals attended",
        "definition": "Porcentaje de las referencias enviadas en el periodo (no canceladas) a "
        "las que la persona asistió.",
        "definition_en": "Share of the referrals sent in the period (not cancelled) that the "
        "person attended.",
        "unit": "percent",
        "source": "referrals",
        "measure": "share",
        "filters": {
            "status": ["sent", "received", "accepted", "declined", "attended", "closed", "expired"]
        },
        "numerator_filters": {"attended": ["yes"]},
        "allowed_dimensions": [*PLACE_AND_TIME, *PERSON_DIMENSIONS, "reason"],
        "default_dimension": "reason",
        "target": 70,
    },
    {
        "code": "referral-days-to-attend",
        "name": "Días de la referencia a la atención (mediana)",
        "name_en": "Median days from referral to attendance",
        "definition": "Mediana de los días entre el envío de una referencia y la atención.",
        "definition_en": "Median of the days between a referral being sent and attended.",
        "unit": "days",
        "source": "referrals",
        "measure": "median_days",
        "duration": "sent_to_attended",
        "allowed_dimensions": [*PLACE_AND_TIME, *PERSON_DIMENSIONS, "reason"],
        "default_dimension": "reason",
    },
    {
        "code": "follow-ups-on-time",
        "name": "Seguimientos hechos a tiempo",
        "name_en": "Follow-ups done on time",
        "definition": "Porcentaje de los seguimientos que vencían en el periodo (no cancelados) "
        "hechos a más tardar el día de vencimiento.",
        "definition_en": "Share of the follow-ups due in the period (not cancelled) done on or "
        "before the day they were due.",
        "unit": "percent",
        "source": "follow_ups",
        "measure": "share",
        "filters": {"status": ["open", "done"]},
        "numerator_filters": {"done_on_time": ["yes"]},
        "allowed_dimensions": [*PLACE_AND_TIME, *PERSON_DIMENSIONS],
        "default_dimension": "organisation",
        "target": 80,
    },
    {
        "code": "inquiries-answered-in-time",
        "name": "Solicitudes respondidas a tiempo",
        "name_en": "Inquiries answered within the target time",
        "definition": "Porcentaje de las solicitudes de información del portal (sin duplicados "
        "ni spam) respondidas dentro del plazo objetivo (72 horas por defecto).",
        "definition_en": "Share of the portal's requests for information (no duplicates or "
        "spam) answered within the target time (72 hours by default).",
        "unit": "percent",
        "source": "inquiries",
        "measure": "share",
        "filters": {"genuine": ["yes"]},
        "numerator_filters": {"answered_in_time": ["yes"]},
        "allowed_dimensions": ["country", "area", "week", "month", "quarter", "organisation"],
        "default_dimension": "country",
        "target": 90,
    },
    {
        "code": "campaign-visits",
        "name": "Visitas de las campañas",
        "name_en": "Campaign visits",
        "definition": "Visitas a las páginas de las campañas por cada colocación (código QR, "
        "enlace corto).",
        "definition_en": "Visits to the campaigns' pages through each placement (QR code, "
        "short link).",
        "unit": "count",
        "source": "placement_counts",
        "measure": "sum",
        "filters": {"event": ["visit"]},
        "allowed_dimensions": CAMPAIGN_DIMENSIONS,
        "default_dimension": "campaign",
    },
    {
        "code": "campaign-checklists",
        "name": "Listas de verificación completadas",
        "name_en": "Checklist completions",
        "definition": "Listas de verificación completadas en las páginas de las campañas.",
        "definition_en": "Checklists completed on the campaigns' pages.",
        "unit": "count",
        "source": "placement_counts",
        "measure": "sum",
        "filters": {"event": ["checklist"]},
        "allowed_dimensions": CAMPAIGN_DIMENSIONS,
        "default_dimension": "campaign",
    },
    {
        "code": "campaign-information-requests",
        "name": "Solicitudes de información desde las campañas",
        "name_en": "Information requests from campaigns",
        "definition": "Solicitudes de información personalizada hechas desde las páginas de "
        "las campañas.",
        "definition_en": "Requests for personalised information made from the campaigns' pages.",
        "unit": "count",
        "source": "placement_counts",
        "measure": "sum",
        "filters": {"event": ["inquiry"]},
        "allowed_dimensions": CAMPAIGN_DIMENSIONS,
        "default_dimension": "campaign",
    },
    {
        "code": "services-verified",
        "name": "Servicios verificados en los últimos 180 días",
        "name_en": "Services verified in the last 180 days",
        "definition": "Servicios publicados del directorio de las organizaciones del programa "
        "verificados en los 180 días anteriores al final del periodo.",
        "definition_en": "Published directory services of the programme's organisations "
        "verified in the 180 days before the end of the period.",
        "unit": "count",
        "source": "services_verified",
        "measure": "count",
        "allowed_dimensions": ["country", "organisation", "month", "quarter"],
        "default_dimension": "organisation",
    },
    {
        "code": "people-trained",
        "name": "Personas capacitadas por tema",
        "name_en": "People trained by topic",
        "definition": "Participantes que completaron una capacitación que terminó en el "
        "periodo; una capacitación de varios temas cuenta en cada uno y una vez en el total.",
        "definition_en": "Participants who completed a training that ended in the period; a "
        "training on several topics counts under each and once in the total.",
        "unit": "count",
        "source": "training",
        "measure": "count",
        "filters": {"status": ["completed"]},
        "allowed_dimensions": [*PLACE_AND_TIME, "topic", "role"],
        "default_dimension": "topic",
    },
]


def install(indicator_model: Any) -> list[Any]:
    """Create the default indicators whose codes are missing (shared by every programme);
    returns those created. ``indicator_model`` may be a migration's historical model."""
    existing = set(indicator_model.objects.values_list("code", flat=True))
    created = []
    for position, spec in enumerate(DEFAULT_INDICATORS, start=1):
        if spec["code"] in existing:
            continue
        fields = {
            key: value for key, value in spec.items() if key not in ("name_en", "definition_en")
        }
        fields.setdefault("position", position * 10)
        created.append(
            indicator_model.objects.create(
                language="es",
                translations={"en": {"name": spec["name_en"], "definition": spec["definition_en"]}},
                **fields,
            )
        )
    return created
