"""Sync bench: many field phones syncing at once against the production server on loopback, and
the first sync of a worker with 10,000 records, on SQLite and PostgreSQL.

    uv run python bench/sync_bench.py [--db sqlite|postgres|both] [--devices 100]
        [--upload 200] [--scope 2000] [--big 10000] [--workers N] [--threads N]

For each database: an empty database (a temporary SQLite file; a PostgreSQL 15 cluster on
127.0.0.1:55521 started and stopped here), migrated, then loaded in bulk (``casework_data``'s
writer: personal fields encrypted as the actions encrypt them): ``--devices`` organisations in
Panama with one health promoter each and ``--scope`` people, and one more with ``--big``
people. Every promoter registers a phone (``device_register``). Then gunicorn serves
``config.wsgi`` on 127.0.0.1 with ``config/gunicorn.py``, as ``scripts/demo.sh`` starts it
(two workers a core and one more, 4 threads each; ``--workers``/``--threads`` override it)
and, over HTTP with gzip as a phone asks for it:

- *100 devices at once*: every phone, in its own thread, uploads ``--upload`` new people in one
  batch (``POST /api/sync/push``) and then downloads its whole scope page by page
  (``GET /api/sync/pull``, 500 a page): wall time for all, p50/p95 of one phone's sync, records
  per second, bytes on the wire;
- *first sync of 10,000*: the big organisation's phone downloads its scope from scratch;
- *upload path vs floor*: one phone uploads ``--upload`` new people on an idle server (five
  times); the floor is a raw bulk insert of the very rows those uploads wrote (people, search
  keys, consent events, audit entries, receipts: same values, new ids, same field encryption),
  in one transaction, rolled back.

Targets: the devices finish in <= 30 s on PostgreSQL, the upload path <= 3x the floor.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    ROOT,
    database_label,
    database_megabytes,
    percentile,
    postgres_cluster,
    run_child,
    sqlite_file,
)
from config import gunicorn as gunicorn_settings

PG_PORT = 55521
SERVER_PORT = 55522
TARGET_SECONDS = 30.0
TARGET_RATIO = 3.0
PAGE = 500
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# Where the CPU goes: the server's processes (gunicorn's workers, the database's backends) are
# read from /proc, so the split between uploads and downloads is measured, not guessed.


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone (a backend that closed): its time is lost, a small undercount
        # utime, stime, and those of waited-for children (fields 14-17 of stat).
        total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS


class ServerCpu:
    """CPU seconds used by the server: gunicorn (master and workers) and, on PostgreSQL, the
    cluster's processes (its backends included)."""

    def __init__(self, server_pid: int) -> None:
        from django.db import connection

        self.server_pid = server_pid
        self.postmaster = 0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW data_directory")
                directory = Path(cursor.fetchone()[0])
            connection.close()
            self.postmaster = int((directory / "postmaster.pid").read_text().split()[0])

    def read(self) -> tuple[float, float]:
        """(gunicorn, database) CPU seconds so far."""
        web = _cpu_seconds([self.server_pid, *_children(self.server_pid)])
        database = 0.0
        if self.postmaster:
            database = _cpu_seconds([self.postmaster, *_children(self.postmaster)])
        return web, database


def field_keys() -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        "SENDA_FIELD_KEYS": Fernet.generate_key().decode(),
        "SENDA_SEARCH_KEYS": Fernet.generate_key().decode(),
    }


def main_parent(args: argparse.Namespace) -> None:
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(
        f"Senda sync bench: {args.devices} phones at once, each uploading {args.upload} new"
        f" records and downloading its scope of {args.scope:,}; a first sync of {args.big:,};"
        f" gunicorn {args.workers} workers x {args.threads} threads on loopback",
        flush=True,
    )
    keys = field_keys()
    arguments = [
        "--devices", str(args.devices), "--upload", str(args.upload), "--scope",
        str(args.scope), "--big", str(args.big), "--workers", str(args.workers),
        "--threads", str(args.threads),
    ]  # fmt: skip
    results = []
    for database in databases:
        if database == "sqlite":
            with sqlite_file() as url:
                results.append(run_child(__file__, url, ["--child", "sqlite", *arguments], keys))
        else:
            with postgres_cluster(PG_PORT) as url:
                results.append(run_child(__file__, url, ["--child", "postgres", *arguments], keys))
    print()
    print(
        f"{'Summary':<12} {'devices s':>10} {'p95 sync s':>11} {'first sync s':>13}"
        f" {'first KB':>9} {'upload ms':>10} {'floor ms':>9} {'ratio':>7}"
    )
    for result in results:
        met_time = result["wall_seconds"] <= TARGET_SECONDS
        met_ratio = result["ratio"] <= TARGET_RATIO
        print(
            f"{result['database']:<12} {result['wall_seconds']:10.1f} {result['p95_sync']:11.2f}"
            f" {result['first_sync_seconds']:13.2f} {result['first_sync_kb']:9.0f}"
            f" {result['upload_ms']:10.0f} {result['floor_ms']:9.1f} {result['ratio']:6.1f}x"
            f"  time {'met' if met_time else 'NOT MET'}, ratio {'met' if met_ratio else 'NOT MET'}"
        )
    print(
        f"Targets: {args.devices} devices <= {TARGET_SECONDS:g} s on PostgreSQL; upload path"
        f" <= {TARGET_RATIO:g}x the floor"
    )


# ---------------------------------------------------------------------------------------------
# The child: one database.


def load(args: argparse.Namespace) -> tuple[list[str], str]:
    """Organisations, promoters, their people in bulk, and a registered phone each; returns the
    phones' tokens and the big organisation's phone's token."""
    import random

    from django.db import transaction
    from django.utils import timezone

    from bench.casework_data import FAMILY_NAMES, FIRST_NAMES, _writer
    from senda.accounts.models import Membership, Organisation, User
    from senda.accounts.roles import Role
    from senda.casework.keys import new_card_code, search_digests
    from senda.casework.models import ConsentEvent, Person, PersonSearchKey
    from senda.sync.actions import device_register

    rng = random.Random(5)
    write_people = _writer(
        Person,
        [
            "id", "organisation", "code", "given_name", "family_name", "phone",
            "phone_has_whatsapp", "sex", "year_of_birth", "age_group", "nationality",
            "community", "notes", "consents_to_contact", "consents_to_share", "registered_by",
            "registered_at", "last_activity_at",
        ],
    )  # fmt: skip
    write_keys = _writer(PersonSearchKey, ["person", "organisation", "kind", "digest"])
    write_consents = _writer(ConsentEvent, ["person", "scope", "granted", "at", "recorded_by"])
    now = timezone.now()
    codes: set[str] = set()
    tokens: list[str] = []
    big_token = ""
    sizes = [args.scope] * args.devices + [args.big]
    for index, size in enumerate(sizes):
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name=f"Sync bench {index}", slug=f"sync-bench-{index}", country_id="PA"
            )
            worker = User.objects.create(username=f"promoter-{index}")
            Membership.objects.create(
                user=worker, organisation=organisation, role=Role.HEALTH_PROMOTER
            )
            people, search_keys, consents = [], [], []
            for _ in range(size):
                person_id = uuid.uuid4()
                while (code := new_card_code("PA")) in codes:
                    pass
                codes.add(code)
                given = rng.choice(FIRST_NAMES)
                family = f"{rng.choice(FAMILY_NAMES)} {rng.choice(FAMILY_NAMES)}"
                phone = f"+507 6{rng.randint(0, 9_999_999):07d}"
                year = rng.randint(1950, 2008)
                people.append(
                    (
                        person_id, organisation.pk, code, given, family, phone, True, "female",
                        year, "30-59", "VE", "migrant", "", True, True, worker.pk, now, now,
                    )
                )  # fmt: skip
                for kind, digest in search_digests(given, family, phone):
                    search_keys.append((person_id, organisation.pk, kind, digest))
                consents.append((person_id, "record", True, now, worker.pk))
            write_people(people)
            write_keys(search_keys)
            write_consents(consents)
            _device, token = device_register(
                actor=worker, name=f"Phone {index}", installation_id=uuid.uuid4()
            )
        if index < args.devices:
            tokens.append(token)
        else:
            big_token = token
    from bench.casework_data import analyse

    analyse()
    return tokens, big_token


class Busy(Exception):
    """The server answered 503 "busy" (the database could not take the write in time): the
    field app sends the same batch again after ``Retry-After`` seconds, and so does the bench."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class Wire:
    """Bytes and time of a phone's HTTP exchanges (gzip, as the field app's browser asks)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sent = 0
        self.received = 0
        self.busy = 0  # uploads answered 503 "busy" and sent again

    def call(self, method: str, path: str, token: str, body: Any = None) -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1800)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {
                "Authorization": f"Bearer {token}",
                "Accept-Encoding": "gzip",
                "Accept-Language": "es",
                "Content-Type": "application/json",
            }
            connection.request(method, path, body=payload, headers=headers)
            answer = connection.getresponse()
            raw = answer.read()
            self.sent += len(payload or b"")
            self.received += len(raw)
            if answer.getheader("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            if answer.status == 503 and json.loads(raw).get("code") == "busy":
                raise Busy(float(answer.getheader("Retry-After") or 5))
            if answer.status != 200:
                raise RuntimeError(f"{method} {path}: {answer.status} {raw[:300]!r}")
            return json.loads(raw)
        finally:
            connection.close()


def new_people(count: int, tag: str) -> list[dict[str, Any]]:
    from django.utils import timezone

    moment = timezone.now().isoformat()
    return [
        {
            "key": str(uuid.uuid4()),
            "kind": "person",
            "op": "create",
            "id": str(uuid.uuid4()),
            "recorded_at": moment,
            "base": {},
            "data": {
                "given_name": f"Persona {tag}-{number}",
                "family_name": "Campo",
                "phone": f"+507 6{number:07d}",
                "whatsapp": True,
                "sex": "female",
                "year_of_birth": 1990,
                "nationality": "VE",
                "area": "",
                "community": "migrant",
                "consent_record": True,
                "consent_contact": True,
                "consent_share": False,
                "notes": "",
            },
        }
        for number in range(count)
    ]


def upload(wire: Wire, token: str, records: list[dict[str, Any]]) -> None:
    from django.utils import timezone

    for _attempt in range(20):
        try:
            answer = wire.call(
                "POST",
                "/api/sync/push",
                token,
                {"device_time": timezone.now().isoformat(), "records": records},
            )
            break
        except Busy as busy:
            wire.busy += 1
            time.sleep(busy.retry_after)
    else:
        raise RuntimeError("the server stayed busy")
    statuses = {result["status"] for result in answer["results"]}
    if statuses != {"applied"}:
        raise RuntimeError(f"upload not applied: {statuses} {answer['results'][0]}")


def download(wire: Wire, token: str) -> int:
    """A first sync: every page of the scope; the number of records."""
    cursor = ""
    count = 0
    for _page in range(10_000):
        path = f"/api/sync/pull?limit={PAGE}" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = wire.call("GET", path, token)
        count += len(page["records"])
        cursor = page["cursor"]
        if not page["more"]:
            return count
    raise RuntimeError("the pull never ended")


def start_server(args: argparse.Namespace, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "-c", "config/gunicorn.py", "--bind", f"127.0.0.1:{SERVER_PORT}",
        "--workers", str(args.workers), "--threads", str(args.threads),
        "--timeout", "300", "--backlog", "512",
    ]  # fmt: skip
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, cwd=ROOT, env=os.environ.copy(), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", SERVER_PORT, timeout=5)
            connection.request("GET", "/api/sync/status")
            connection.getresponse().read()
            connection.close()
            return server
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")


def floor_of_uploads(device_ids: list[str], receipts_since: Any) -> tuple[float, int, float, int]:
    """A raw bulk insert of the rows the timed uploads wrote (new ids, same values, same field
    encryption), in one transaction rolled back, by the cheapest insert Senda has
    (``senda.core.bulk_insert``, cheaper in Python than ``bulk_create``): milliseconds and
    rows, then the same without the tasks the rules made (and their audit entries), as this
    floor was first measured."""
    from django.db import connection, transaction

    from senda.casework.keys import new_card_code
    from senda.casework.models import ConsentEvent, FollowUp, Person, PersonSearchKey
    from senda.core.bulk_insert import insert_objects
    from senda.core.models import AuditEntry
    from senda.sync.models import SyncReceipt

    receipts = list(SyncReceipt.objects.filter(device_id__in=device_ids, pk__gt=receipts_since))
    person_ids = [json.loads(receipt.result)["id"] for receipt in receipts]
    people = list(Person.objects.filter(pk__in=person_ids))
    keys = list(PersonSearchKey.objects.filter(person_id__in=person_ids))
    consents = list(ConsentEvent.objects.filter(person_id__in=person_ids))
    tasks = list(FollowUp.objects.filter(person_id__in=person_ids))
    audits = list(AuditEntry.objects.filter(object_id__in=[str(pk) for pk in person_ids]))
    task_audits = list(AuditEntry.objects.filter(object_id__in=[str(task.pk) for task in tasks]))
    new_id = {person.pk: uuid.uuid4() for person in people}
    for person in people:
        person.pk = person.id = new_id[person.id]
        person.code = new_card_code("PA")
        person.client_uuid = uuid.uuid4()
    for search_key in keys:
        search_key.pk = None
        search_key.person_id = new_id[search_key.person_id]
    for consent in consents:
        consent.pk = None
        consent.person_id = new_id[consent.person_id]
    for task in tasks:
        task.pk = task.id = uuid.uuid4()
        task.person_id = new_id[task.person_id]
    for entry in audits + task_audits:
        entry.pk = None
    for receipt in receipts:
        receipt.pk = None
        receipt.key = uuid.uuid4()

    class Rollback(Exception):
        pass

    def timed(with_tasks: bool) -> tuple[float, int]:
        for person in people:  # new codes and uuids each time: nothing is left after a rollback
            person.code = new_card_code("PA")
            person.client_uuid = uuid.uuid4()
        for receipt in receipts:
            receipt.key = uuid.uuid4()
        rows = len(people) + len(keys) + len(consents) + len(audits) + len(receipts)
        if with_tasks:
            rows += len(tasks) + len(task_audits)
        started = time.perf_counter()
        try:
            with transaction.atomic():
                insert_objects(Person, people)
                insert_objects(PersonSearchKey, keys)
                insert_objects(ConsentEvent, consents)
                if with_tasks:
                    insert_objects(FollowUp, tasks)
                    insert_objects(AuditEntry, audits + task_audits)
                else:
                    insert_objects(AuditEntry, audits)
                insert_objects(SyncReceipt, receipts)
                if connection.vendor == "postgresql":
                    connection.cursor().execute("SELECT 1")  # everything sent before timing stops
                elapsed = time.perf_counter() - started
                raise Rollback
        except Rollback:
            pass
        for entry in audits + task_audits:
            entry.pk = None
        for search_key in keys:
            search_key.pk = None
        for consent in consents:
            consent.pk = None
        return elapsed * 1000, rows

    full_ms, full_rows = min(timed(True) for _ in range(3))
    old_ms, old_rows = min(timed(False) for _ in range(3))
    return full_ms, full_rows, old_ms, old_rows


def main_child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from senda.sync.models import Device, SyncReceipt

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"\n== {database_label()}", flush=True)
    print(f"   migrated in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    tokens, big_token = load(args)
    total_people = args.devices * args.scope + args.big
    print(
        f"   loaded {total_people:,} people in {len(tokens) + 1} organisations and phones in"
        f" {time.perf_counter() - started:.0f} s; database {database_megabytes():,.0f} MB",
        flush=True,
    )
    connection.close()  # the server process does the work from here
    log = Path(tempfile.gettempdir()) / f"senda-sync-bench-{args.child}.log"
    server = start_server(args, log)
    try:
        cpu = ServerCpu(server.pid)
        figures = run_load(args, tokens, big_token, cpu)
        # The upload path alone, on an idle server: one phone, five batches.
        wire = Wire(SERVER_PORT)
        last_receipt = SyncReceipt.objects.order_by("-pk").values_list("pk", flat=True).first()
        device_ids = [str(pk) for pk in Device.objects.values_list("pk", flat=True)]
        connection.close()
        upload_ms = []
        before = cpu.read()
        for run in range(5):
            batch = new_people(args.upload, f"idle-{run}")
            begun = time.perf_counter()
            upload(wire, tokens[run % len(tokens)], batch)
            upload_ms.append((time.perf_counter() - begun) * 1000)
        after = cpu.read()
        upload_cpu = [(b - a) / 5 for a, b in zip(before, after, strict=True)]
        # One phone's download alone (a first sync of the same scope), five times.
        before = cpu.read()
        download_ms = []
        for run in range(5):
            begun = time.perf_counter()
            download(Wire(SERVER_PORT), tokens[len(tokens) - 1 - run % len(tokens)])
            download_ms.append((time.perf_counter() - begun) * 1000)
        after = cpu.read()
        download_cpu = [(b - a) / 5 for a, b in zip(before, after, strict=True)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    phones = len(tokens)
    run_web, run_database = figures["server_cpu"]
    print(
        f"   server CPU: one upload of {args.upload} {sum(upload_cpu):.2f} s (web"
        f" {upload_cpu[0]:.2f}, database {upload_cpu[1]:.2f}); one phone's download"
        f" {sum(download_cpu):.2f} s (web {download_cpu[0]:.2f}, database {download_cpu[1]:.2f};"
        f" {statistics.median(download_ms):.0f} ms wall, idle server); the {phones} phones used"
        f" {run_web + run_database:.1f} s (web {run_web:.1f}, database {run_database:.1f}):"
        f" uploads ~{phones * sum(upload_cpu):.1f} s, downloads ~{phones * sum(download_cpu):.1f} s"
        f" at the idle rates; the phones themselves (this process) {figures['client_cpu']:.1f} s",
        flush=True,
    )
    floor_ms, rows, old_floor_ms, old_rows = floor_of_uploads(device_ids, last_receipt or 0)
    # The floor writes five uploads' rows at once: per upload, a fifth.
    floor_per_upload = floor_ms / 5
    upload_median = statistics.median(upload_ms)
    ratio = upload_median / floor_per_upload
    print(
        f"   upload path: {args.upload} records in {upload_median:.0f} ms (median of 5, idle"
        f" server, {upload_median / args.upload:.1f} ms a record); floor: bulk insert of the"
        f" same {rows // 5:,} rows in {floor_per_upload:.1f} ms; ratio {ratio:.1f}x"
        f" (without the rules' tasks, as first measured: {old_rows // 5:,} rows in"
        f" {old_floor_ms / 5:.1f} ms, ratio {upload_median / (old_floor_ms / 5):.1f}x)",
        flush=True,
    )
    figures.update(
        upload_cpu=sum(upload_cpu),
        download_cpu=sum(download_cpu),
        database=args.child,
        upload_ms=upload_median,
        floor_ms=floor_per_upload,
        ratio=ratio,
    )
    print("RESULT " + json.dumps(figures), flush=True)


def run_load(
    args: argparse.Namespace, tokens: list[str], big_token: str, cpu: ServerCpu
) -> dict[str, Any]:
    wires = [Wire(SERVER_PORT) for _ in tokens]
    batches = [new_people(args.upload, f"d{index}") for index in range(len(tokens))]
    durations: list[float] = [0.0] * len(tokens)
    downloaded: list[int] = [0] * len(tokens)
    failures: list[str] = []
    start_together = threading.Barrier(len(tokens) + 1)

    def phone(index: int) -> None:
        start_together.wait()
        begun = time.perf_counter()
        try:
            upload(wires[index], tokens[index], batches[index])
            downloaded[index] = download(wires[index], tokens[index])
        except Exception as exc:
            failures.append(f"phone {index}: {exc}")
        durations[index] = time.perf_counter() - begun

    threads = [threading.Thread(target=phone, args=(index,)) for index in range(len(tokens))]
    for thread in threads:
        thread.start()
    cpu_before = cpu.read()
    start_together.wait()
    begun = time.perf_counter()
    client_begun = time.process_time()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - begun
    # The phones themselves (this process's threads: JSON, gzip, HTTP) share the same cores.
    client_cpu = time.process_time() - client_begun
    server_cpu = [b - a for a, b in zip(cpu_before, cpu.read(), strict=True)]
    if failures:
        raise SystemExit("\n".join(failures[:10]))
    uploaded = args.upload * len(tokens)
    records_down = sum(downloaded)
    sent = sum(wire.sent for wire in wires)
    received = sum(wire.received for wire in wires)
    p50, p95 = percentile(durations, 0.5), percentile(durations, 0.95)
    print(
        f"   {len(tokens)} phones at once: all done in {wall:.1f} s"
        f" ({'met' if wall <= TARGET_SECONDS else 'NOT MET'}: <= {TARGET_SECONDS:g} s);"
        f" one phone's sync p50 {p50:.1f} s, p95 {p95:.1f} s",
        flush=True,
    )
    print(
        f"   uploaded {uploaded:,} records ({uploaded / wall:,.0f}/s), downloaded"
        f" {records_down:,} ({records_down / wall:,.0f}/s; {records_down // len(tokens):,} a"
        f" phone); on the wire {sent / 1e6:.1f} MB up, {received / 1e6:.1f} MB down (gzip),"
        f" {received / len(tokens) / 1e3:.0f} KB down a phone;"
        f" {sum(wire.busy for wire in wires)} uploads answered 503 busy and sent again",
        flush=True,
    )
    wire = Wire(SERVER_PORT)
    begun = time.perf_counter()
    first_count = download(wire, big_token)
    first_seconds = time.perf_counter() - begun
    print(
        f"   first sync of {first_count:,} records (one worker, {args.big:,} people plus the"
        f" reference lists): {first_seconds:.1f} s, {wire.received / 1e3:,.0f} KB on the wire"
        f" (gzip), {-(-first_count // PAGE)} pages",
        flush=True,
    )
    return {
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
        "wall_seconds": wall,
        "p50_sync": p50,
        "p95_sync": p95,
        "uploaded": uploaded,
        "downloaded": records_down,
        "bytes_up": sent,
        "bytes_down": received,
        "first_sync_seconds": first_seconds,
        "first_sync_kb": wire.received / 1e3,
        "first_sync_records": first_count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--upload", type=int, default=200)
    parser.add_argument("--scope", type=int, default=2000)
    parser.add_argument("--big", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=gunicorn_settings.workers)
    parser.add_argument("--threads", type=int, default=gunicorn_settings.threads)
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        main_child(args)
    else:
        main_parent(args)


if __name__ == "__main__":
    main()
