"""The default indicators (issue 6's list) on a fresh database."""

from django.db import migrations


def install(apps, schema_editor):
    from senda.insights.defaults import install as install_defaults

    install_defaults(apps.get_model("insights", "Indicator"))


class Migration(migrations.Migration):
    dependencies = [("insights", "0002_indicator")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
