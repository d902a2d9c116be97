"""The default configurable lists of field work: orientation topics, training topics and the
programme-wide follow-up rules (Spanish in the rows, English in their translations). Superusers
change them in the admin; running this again (or backwards) leaves edited rows alone."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

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


def load(apps: Any, schema_editor: Any) -> None:
    Topic = apps.get_model("casework", "Topic")
    FollowUpRule = apps.get_model("casework", "FollowUpRule")
    for use, topics in (("orientation", ORIENTATION_TOPICS), ("training", TRAINING_TOPICS)):
        for position, (slug, spanish, english) in enumerate(topics, start=1):
            Topic.objects.get_or_create(
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
        FollowUpRule.objects.get_or_create(
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


def unload(apps: Any, schema_editor: Any) -> None:
    Topic = apps.get_model("casework", "Topic")
    FollowUpRule = apps.get_model("casework", "FollowUpRule")
    for use, topics in (("orientation", ORIENTATION_TOPICS), ("training", TRAINING_TOPICS)):
        Topic.objects.filter(
            use=use,
            slug__in=[slug for slug, _es, _en in topics],
            name__in=[es for _s, es, _en in topics],
        ).delete()
    for trigger, days_after, _contact, spanish, _english in FOLLOW_UP_RULES:
        FollowUpRule.objects.filter(
            organisation=None, trigger=trigger, days_after=days_after, title=spanish
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="followuprule",
            name="requires_contact",
            field=models.BooleanField(default=True, verbose_name="means contacting the person"),
        ),
        migrations.RunPython(load, unload),
    ]
