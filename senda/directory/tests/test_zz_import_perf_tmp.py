import json
import time
import uuid

import pytest

from senda.directory.hsds.importer import hsds_import
from senda.directory.models import Service, ServiceSearchToken


def make(n):
    orgs = [str(uuid.uuid4()) for _ in range(50)]
    items = []
    for i in range(n):
        sid = str(uuid.uuid4()); lid = str(uuid.uuid4())
        items.append({
            "id": sid, "name": f"Servicio de vacunación {i}", "status": "active",
            "description": "Vacunas gratuitas para migrantes y comunidades de acogida",
            "organization": {"id": orgs[i % 50], "name": f"Org {i%50}", "description": "x"},
            "phones": [{"id": str(uuid.uuid4()), "number": "+507 6000-0000", "type": "voice"}],
            "cost_options": [{"id": str(uuid.uuid4()), "amount": 0, "currency": "USD"}],
            "languages": [{"id": str(uuid.uuid4()), "code": "es", "name": "Español"}],
            "service_at_locations": [{"id": str(uuid.uuid4()), "location": {
                "id": lid, "location_type": "physical", "name": f"Centro {i}",
                "latitude": 9.0 + (i % 100) / 1000, "longitude": -79.5,
                "addresses": [{"id": str(uuid.uuid4()), "address_1": "Calle 1", "city": "San Miguelito", "state_province": "Panamá", "postal_code": "0000", "country": "PA", "address_type": "physical"}],
                "schedules": [{"id": str(uuid.uuid4()), "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "08:00", "closes_at": "16:00"}],
            }}],
        })
    return {"total_items": n, "contents": items}

@pytest.mark.django_db(transaction=True)
def test_perf(org_a, tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(make(10000)))
    t = time.time()
    marks = []
    r = hsds_import(actor=None, owner=org_a, source=path, progress=lambda p, a, b: marks.append((p, a, b, round(time.time() - t, 1))))
    print("import", time.time() - t, r.created)
    print([m for m in marks if m[1] % 2500 == 0 or m[0] == "saving"])
    print(Service.objects.count(), ServiceSearchToken.objects.count())

@pytest.mark.django_db(transaction=True)
def test_profile(org_a, tmp_path):
    import cProfile
    import pstats
    path = tmp_path / "big.json"
    path.write_text(json.dumps(make(2000)))
    pr = cProfile.Profile(); pr.enable()
    hsds_import(actor=None, owner=org_a, source=path)
    pr.disable()
    st = pstats.Stats(pr); st.sort_stats("cumulative").print_stats(60)
