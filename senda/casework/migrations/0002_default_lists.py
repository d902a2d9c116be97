"""Field work's default configurable lists (``senda.casework.default_lists``), and whether a
follow-up rule means contacting the person."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def load(apps: Any, schema_editor: Any) -> None:
    from senda.casework.default_lists import load_default_lists

    load_default_lists(
        apps.get_model("casework", "Topic"), apps.get_model("casework", "FollowUpRule")
    )


def unload(apps: Any, schema_editor: Any) -> None:
    from senda.casework.default_lists import unload_default_lists

    unload_default_lists(
        apps.get_model("casework", "Topic"), apps.get_model("casework", "FollowUpRule")
    )


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
