"""The default configurable lists of field work: orientation topics, training topics and the
programme-wide follow-up rules, Spanish in the rows and English in their translations.

Loaded by migration 0002 and put back by the test suite after a transactional test flushes the
tables (as the directory's taxonomy). Loading again leaves existing (maybe edited) rows alone.
"""

from __future__ import annotations

from typing import Any

ORIENTATION_TOPICS = [
    ("regular-migration", "Migración regular", "Regular migration"),
    ("documents", "Documentos", "Documents"),
    ("health-services", "Servicios de salud", "Health services"),
    ("vaccination", "Vacunación", "Vaccination"),
    ("prenatal-care", "Control prenatal", "Prenatal care"),
    ("mental-health", "Salud mental", "Mental health"),
    ("trafficking-exploitation", "Trata y explotación", "Trafficking and exploitation"),
    ("xenophobia", "Xenofobia", "Xenophobia"),
    ("local-opportunities", "Oportunidades locales", "Local opportunities"),
]

TRAINING_TOPICS = [
    ("sexual-reproductive-health", "Salud sexual y reproductiva", "Sexual and reproductive health"),
    ("mental-health", "Salud mental", "Mental health"),
    ("vaccination", "Vacunación", "Vaccination"),
    ("prenatal-care", "Control prenatal", "Prenatal care"),
    ("epidemic-prone-diseases", "Enfermedades con potencial epidémico", "Epidemic-prone diseases"),
    ("trafficking", "Trata de personas", "Trafficking"),
    ("exploitation", "Explotación", "Exploitation"),
    ("xenophobia", "Xenofobia", "Xenophobia"),
    ("regular-migration", "Migración regular", "Regular migration"),
    ("psychological-first-aid", "Primeros auxilios psicológicos", "Psychological first aid"),
]

# (trigger, days after, requires contact, Spanish title, English title)
FOLLOW_UP_RULES = [
    (
        "referral_sent",
        7,
        # The referral's feedback or the centre says whether they went: no call needed.
        False,
        "Comprobar si asistió a la referencia",
        "Check attendance",
    ),
    ("referral_attended", 2, True, "Preguntar cómo le fue", "Ask how it went"),
    ("person_registered", 30, True, "Llamar para saber cómo está", "Call to check on them"),
]


def load_default_lists(topic_model: Any, rule_model: Any) -> None:
    """Create the default topics and rules that do not exist yet (models may be historical)."""
    for use, topics in (("orientation", ORIENTATION_TOPICS), ("training", TRAINING_TOPICS)):
        for position, (slug, spanish, english) in enumerate(topics, start=1):
            topic_model.objects.get_or_create(
                use=use,
                slug=slug,
                defaults={
                    "name": spanish,
                    "language": "es",
                    "translations": {"en": {"name": english}},
                    "position": position * 10,
                },
            )
    for trigger, days_after, requires_contact, spanish, english in FOLLOW_UP_RULES:
        rule_model.objects.get_or_create(
            organisation=None,
            trigger=trigger,
            reason="",
            days_after=days_after,
            defaults={
                "title": spanish,
                "language": "es",
                "translations": {"en": {"title": english}},
                "requires_contact": requires_contact,
            },
        )


def unload_default_lists(topic_model: Any, rule_model: Any) -> None:
    """Remove the default rows that still read as loaded."""
    for use, topics in (("orientation", ORIENTATION_TOPICS), ("training", TRAINING_TOPICS)):
        topic_model.objects.filter(
            use=use,
            slug__in=[slug for slug, _es, _en in topics],
            name__in=[spanish for _slug, spanish, _en in topics],
        ).delete()
    for trigger, days_after, _contact, spanish, _english in FOLLOW_UP_RULES:
        rule_model.objects.filter(
            organisation=None, trigger=trigger, days_after=days_after, title=spanish
        ).delete()
