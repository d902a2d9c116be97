"""Test support shared by the root conftest and app test packages."""

from __future__ import annotations


def ensure_reference_data() -> None:
    """Put back what the migrations load (countries and areas, the taxonomy, the default
    field-work lists, the default indicators) after a flush emptied the tables."""
    from senda.casework.default_lists import load_default_lists
    from senda.casework.models import FollowUpRule, Topic
    from senda.directory.models import Taxonomy, TaxonomyTerm
    from senda.directory.reference import load_taxonomy
    from senda.geo.models import AdminArea, Country
    from senda.geo.reference import load_reference
    from senda.insights.defaults import install as install_default_indicators
    from senda.insights.models import Indicator

    if not AdminArea.objects.exists():
        load_reference(Country, AdminArea)
    if not TaxonomyTerm.objects.exists():
        load_taxonomy(Taxonomy, TaxonomyTerm)
    if not Topic.objects.exists():
        load_default_lists(Topic, FollowUpRule)
    if not Indicator.objects.exists():
        install_default_indicators(Indicator)
