import time, json
import pytest
from senda.directory.hsds import importer, derived_bulk
from senda.directory.tests.test_zz_import_perf_tmp import make

@pytest.mark.django_db(transaction=True)
def test_phases(org_a, tmp_path):
    path = tmp_path / "big.json"; path.write_text(json.dumps(make(10000)))
    timings = {}
    def wrap(obj, name):
        orig = getattr(obj, name)
        def w(*a, **k):
            t = time.process_time(); w0 = time.time()
            r = orig(*a, **k)
            timings[name] = (round(time.process_time() - t, 1), round(time.time() - w0, 1))
            return r
        setattr(obj, name, w)
    for n in ["read", "write", "_upsert_all", "_refresh_derived", "_existing_rows", "_resolve_references", "_remove_replaced", "_free_location_pairs", "_set_categories", "_affected_services"]:
        if hasattr(importer._Import, n): wrap(importer._Import, n)
    t = time.process_time()
    importer.hsds_import(actor=None, owner=org_a, source=path)
    print("total cpu", time.process_time() - t, timings)
