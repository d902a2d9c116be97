"""Runs after the browser tests (file order): reference data must still be there."""

from senda.directory.models import TaxonomyTerm
from senda.geo.models import AdminArea, Country


def test_reference_data_is_present_after_transactional_tests(db: None) -> None:
    assert Country.objects.filter(code="PA").exists()
    assert AdminArea.objects.filter(country_id="PA", level=1).exists()
    assert TaxonomyTerm.objects.filter(code="health.vaccination").exists()
