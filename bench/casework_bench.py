"""Field-work bench: "my tasks", a focal point's referral inbox and registering a person with
the duplicate check, at 1,000,000 people and 3,000,000 orientations, referrals and follow-ups,
on SQLite and PostgreSQL.

    uv run python bench/casework_bench.py [--db sqlite|postgres|both] [--people N]

For each database: an empty database (a temporary SQLite file; a PostgreSQL 15 cluster on
127.0.0.1:55520 started and stopped here), migrated, loaded by ``casework_data``. Then, for
random workers and focal points:

- *my tasks*: ``GET /staff/field/tasks/?show=overdue`` through Django's test client (the whole
  page: middleware, session, second-factor check, queries, decryption, template);
- *referral inbox*: ``GET /staff/field/referrals/inbox/`` (the open referrals of the focal
  point's organisation, with the counts per filter);
- *register*: the duplicate check and the registration (``duplicate_candidates`` then
  ``person_register(confirm_new=True)``) for a look-alike of a registered person, inside a
  transaction rolled back afterwards.

The floor is the same SQL: every statement Senda ran for that request (captured), replayed on
the raw database connection with the same parameters, all rows fetched (writes inside a
transaction rolled back, like Senda's). Prints p50 and p95 of both and their ratio; the targets
are p95 <= 50 ms and <= 2x the floor.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    database_label,
    database_megabytes,
    percentile,
    postgres_cluster,
    print_summary,
    run_child,
    sqlite_file,
    timed,
)

PG_PORT = 55520
TARGET_P95_MS = 50.0
TARGET_RATIO = 2.0


class Rollback(Exception):
    """Raised to undo a timed write."""


def child_arguments(database: str, args: argparse.Namespace) -> list[str]:
    return [
        "--child", database, "--people", str(args.people), "--queries", str(args.queries),
        "--warmup", str(args.warmup), "--seed", str(args.seed),
        *(["--keep", str(args.keep)] if args.keep else []),
    ]  # fmt: skip


def load_marker(keep: Path, database: str) -> Path:
    """Written last by a complete load into ``keep``: what was loaded (the child's report)."""
    return keep / f"{database}-loaded.json"


def field_keys(keep: Path | None) -> dict[str, str]:
    """The keys of the personal fields and search digests: fresh for a throwaway run; made once
    and kept beside a kept database (its rows were encrypted with them)."""
    from cryptography.fernet import Fernet

    path = keep / "keys.json" if keep else None
    if path is not None and path.exists():
        return dict(json.loads(path.read_text()))
    keys = {
        "SENDA_FIELD_KEYS": Fernet.generate_key().decode(),
        "SENDA_SEARCH_KEYS": Fernet.generate_key().decode(),
    }
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(keys))
        path.chmod(0o600)
    return keys


def forget_partial_load(keep: Path, database: str) -> None:
    """A database in ``keep`` without its marker is an interrupted load: start it again."""
    import shutil

    if not load_marker(keep, database).exists():
        shutil.rmtree(keep / database, ignore_errors=True)


def main_parent(args: argparse.Namespace) -> None:
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(
        f"Senda field-work bench: {args.people:,} people, about {args.people:,} each of"
        f" orientations, referrals and follow-ups; {args.queries} timed requests of each kind"
        f" (seed {args.seed})",
        flush=True,
    )
    # Production settings need the keys of the personal fields.
    keys = field_keys(args.keep)
    results = []
    for database in databases:
        if args.keep:
            forget_partial_load(args.keep, database)
        if database == "sqlite":
            with sqlite_file(args.keep) as url:
                results.append(run_child(__file__, url, child_arguments("sqlite", args), keys))
        else:
            with postgres_cluster(PG_PORT, args.keep) as url:
                results.append(run_child(__file__, url, child_arguments("postgres", args), keys))
    print_summary(results, key="figures", target_p95_ms=TARGET_P95_MS, target_ratio=TARGET_RATIO)


# ---------------------------------------------------------------------------------------------
# The child: one database.


def replay(statements: list[tuple[str, Any]], *, commit: bool) -> int:
    """Run ``statements`` (SQL, parameters) on the raw DB-API cursor and fetch every row. The
    transaction Senda's atomic block began is begun by the driver here, and committed when
    ``commit`` (otherwise the caller's atomic block rolls it back)."""
    from django.db import connection

    rows = 0
    raw = connection.connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        for sql, params in statements:
            if sql.startswith("BEGIN"):
                continue  # the driver opens the transaction itself on the first write
            cursor.execute(sql, params or ())
            if cursor.description is not None:
                rows += len(cursor.fetchall())
        if commit:
            raw.commit()
    finally:
        cursor.close()
    return rows


def captured(run: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SQL statements (with parameters) that ``run`` executes, in order."""
    from django.db import connection

    statements: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raw_sql = sql
        if connection.vendor == "sqlite":
            # What Django's SQLite cursor sends: "qmark" placeholders.
            from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

            raw_sql = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
        statements.append((raw_sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run()
    return statements


def in_rollback(run: Callable[[], Any]) -> Callable[[], Any]:
    from django.db import transaction

    def wrapped() -> Any:
        try:
            with transaction.atomic():
                result = run()
                raise Rollback
        except Rollback:
            return result

    return wrapped


def measure(
    name: str,
    cases: list[Callable[[], Any]],
    *,
    warmup: int,
    writes: bool = False,
) -> dict[str, float]:
    senda_ms: list[float] = []
    floor_ms: list[float] = []
    for index, case in enumerate(cases):
        run = in_rollback(case) if writes else case
        statements = captured(run)  # also warms the caches the same way for both
        if writes:

            def floor(statements: list[tuple[str, Any]] = statements) -> Any:
                return in_rollback(lambda: replay(statements, commit=False))()
        else:

            def floor(statements: list[tuple[str, Any]] = statements) -> Any:
                return replay(statements, commit=True)

        if index % 2:
            floor_time, _ = timed(floor)
            senda_time, _ = timed(run)
        else:
            senda_time, _ = timed(run)
            floor_time, _ = timed(floor)
        if index >= warmup:
            senda_ms.append(senda_time)
            floor_ms.append(floor_time)
    p50, p95 = percentile(senda_ms, 0.5), percentile(senda_ms, 0.95)
    floor_p50, floor_p95 = percentile(floor_ms, 0.5), percentile(floor_ms, 0.95)
    figures = {
        "p50": p50,
        "p95": p95,
        "floor_p50": floor_p50,
        "floor_p95": floor_p95,
        "ratio_p50": p50 / floor_p50,
        "ratio_p95": p95 / floor_p95,
    }
    print(
        f"   {name:<24} {p50:7.2f} {p95:7.2f}  floor {floor_p50:6.2f} {floor_p95:6.2f}"
        f"  ratio p95 {figures['ratio_p95']:5.2f}x",
        flush=True,
    )
    return figures


def page_case(client: Any, path: str, marker: str) -> Callable[[], Any]:
    def run() -> Any:
        response = client.get(path)
        if response.status_code != 200 or marker.encode() not in response.content:
            raise SystemExit(f"{path}: status {response.status_code}, or the page is not it")
        return response

    return run


def main_child(args: argparse.Namespace) -> None:
    import random

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.test import Client

    from bench import casework_data

    started = time.perf_counter()
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the pages' hashed names
    print(f"\n== {database_label()}", flush=True)
    print(
        f"   migrated in {time.perf_counter() - started:.1f} s ({len(pending)} migrations)",
        flush=True,
    )
    marker = load_marker(args.keep, args.child) if args.keep else None
    if marker is not None and marker.exists():
        report = casework_data.report_from_json(marker.read_text())
        if report.people != args.people or json.loads(marker.read_text())["seed"] != args.seed:
            raise SystemExit(
                f"{args.keep} holds {report.people:,} people (seed"
                f" {json.loads(marker.read_text())['seed']}): use the same --people and --seed,"
                " or another --keep folder"
            )
        if pending:
            started = time.perf_counter()
            casework_data.analyse()  # the statistics of the new indexes
            print(f"   analysed in {time.perf_counter() - started:.1f} s", flush=True)
        print(f"   reusing the database kept in {args.keep}", flush=True)
    else:
        report = casework_data.generate_and_load(people=args.people, seed=args.seed)
        if marker is not None:
            saved = json.loads(casework_data.report_to_json(report))
            marker.write_text(json.dumps({**saved, "seed": args.seed}))
    print(
        f"   loaded in {report.seconds:.0f} s: {report.people:,} people,"
        f" {report.search_keys:,} search keys, {report.orientations:,} orientations,"
        f" {report.referrals:,} referrals, {report.follow_ups:,} follow-ups;"
        f" database {database_megabytes():,.0f} MB",
        flush=True,
    )

    from senda.accounts.models import Organisation, User
    from senda.accounts.testing import login_verified
    from senda.casework.actions.people import person_register
    from senda.casework.queries.people import duplicate_candidates

    rng = random.Random(args.seed + 1)
    total = args.queries + args.warmup
    figures: dict[str, dict[str, float]] = {}
    clients: dict[int, Any] = {}

    def client_for(user_id: int) -> Any:
        if user_id not in clients:
            clients[user_id] = login_verified(
                Client(HTTP_HOST="127.0.0.1"), User.objects.get(pk=user_id)
            )
        return clients[user_id]

    from senda.casework.queries import referrals as referral_queries
    from senda.casework.queries import tasks as task_queries

    workers = rng.sample(report.workers, min(len(report.workers), 50))
    users = {worker.user_id: User.objects.get(pk=worker.user_id) for worker in workers}
    focal_users = {user_id: User.objects.get(pk=user_id) for user_id, _ in report.focal_points}

    # What the pages read, as they read it: the counts, then the first page (whose length
    # is one of the counts).
    def my_tasks_queries(user: Any) -> Callable[[], Any]:
        def run() -> Any:
            counts = task_queries.my_task_counts(user=user)
            rows = task_queries.my_task_rows(user=user, show=task_queries.OVERDUE, counts=counts)
            return counts, [(task.title, task.person_code, task.given_name) for task in rows[:25]]

        return run

    def inbox_queries(user: Any) -> Callable[[], Any]:
        def run() -> Any:
            counts = referral_queries.referral_inbox_counts(user=user)
            page = referral_queries.referral_inbox(user=user, view="open", counts=counts)
            return counts, list(page.items)

        return run

    figures["my tasks: page"] = measure(
        "my tasks: page",
        [
            page_case(
                client_for(rng.choice(workers).user_id),
                "/en/staff/field/tasks/?show=overdue",
                "task",
            )
            for _ in range(total)
        ],
        warmup=args.warmup,
    )
    figures["my tasks: queries"] = measure(
        "my tasks: queries",
        [my_tasks_queries(users[rng.choice(workers).user_id]) for _ in range(total)],
        warmup=args.warmup,
    )
    figures["referral inbox: page"] = measure(
        "referral inbox: page",
        [
            page_case(
                client_for(rng.choice(report.focal_points)[0]),
                "/en/staff/field/referrals/inbox/",
                "referral",
            )
            for _ in range(total)
        ],
        warmup=args.warmup,
    )
    figures["referral inbox: queries"] = measure(
        "referral inbox: queries",
        [inbox_queries(focal_users[rng.choice(report.focal_points)[0]]) for _ in range(total)],
        warmup=args.warmup,
    )

    def register_case(sample: tuple[str, str, int, str]) -> Callable[[], Any]:
        worker = rng.choice(report.workers)
        given, family, year, _phone = sample
        actor = User.objects.get(pk=worker.user_id)
        organisation = Organisation.objects.get(pk=worker.organisation_id)
        phone = f"+507 6{rng.randint(0, 9_999_999):07d}"

        def run() -> Any:
            candidates = duplicate_candidates(
                user=actor,
                organisation=organisation,
                given_name=given,
                family_name=family,
                phone=phone,
                year_of_birth=year,
                age_group="",
            )
            person = person_register(
                actor=actor,
                organisation=organisation,
                consent_record=True,
                consent_contact=True,
                given_name=given,
                family_name=family,
                phone=phone,
                year_of_birth=year,
                sex="female",
                community="migrant",
                confirm_new=True,
            )
            return candidates, person

        return run

    figures["register + duplicate check"] = measure(
        "register + duplicate check",
        [register_case(rng.choice(report.samples)) for _ in range(total)],
        warmup=args.warmup,
        writes=True,
    )
    database = "SQLite" if "SQLite" in database_label() else "PostgreSQL"
    print("RESULT " + json.dumps({"database": database, "figures": figures}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="timed requests of each kind")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep",
        type=lambda value: Path(value).resolve(),
        metavar="DIR",
        help="keep the loaded databases in DIR and reuse them on later runs (same --people"
        " and --seed); migrations are still applied",
    )
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        main_child(args)
    else:
        main_parent(args)


if __name__ == "__main__":
    main()
