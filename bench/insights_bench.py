"""Insights bench: computing indicators at the scale of a whole programme (1,000,000 people,
about 3,000,000 orientations, referrals and follow-ups, and 1,000,000 portal visits as
per-placement daily counts), on SQLite and PostgreSQL, beside the raw SQL floor.

    uv run python bench/insights_bench.py [--db sqlite|postgres|both] [--people N]
        [--keep DIR]

For each database: the field-work data of ``casework_data`` (reused from ``--keep DIR`` when
``casework_bench.py --keep DIR`` loaded it there), plus, once (marked in DIR): an admin area
for every person (Panama's level-1 and level-2 areas), five campaigns with 100 placements each
and a year of daily counts whose visits add up to 1,000,000, and a programme over all of it.
Then, as a programme officer of the lead (suppression applies: the partners' people are not
theirs):

- *people by area and month*: ``indicator_table`` of "people registered" by area and month
  over the last 12 months; the floor is one hand-written GROUP BY of the same figures;
- *orientations by area and month*: different people oriented, by area and month (cells,
  margins and total: people are not additive), against GROUPING SETS on PostgreSQL and a
  UNION ALL of the four groupings on SQLite;
- *visits by campaign and month*: the 1,000,000 visits, against one GROUP BY;
- *dashboard indicators*: every dashboard indicator by its default breakdown (what the
  dashboard computes with its default filters), engine only, no floor.

These engine lines compute every time (``indicator_table`` without stored figures). Then what
a deployment pays and what its readers get:

- *cold refresh*: ``refresh_insights`` for the programme (every table of its dashboard as it
  opens, computed and stored: what cron pays every few minutes);
- *dashboard page*: ``GET`` of the programme's dashboard through Django's test client as the
  programme officer, default filters, after the refresh (the figures read from storage,
  suppressed, charts and template rendered): the figure against the 300 ms target.

Each case checks that the engine's figures equal the floor's before timing. Prints p50 and p95
and the ratio to the floor; the issue's target is at most 2x the floor (and 300 ms for the
dashboard page on PostgreSQL).
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import random
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
    run_child,
    sqlite_file,
    timed,
)

PG_PORT = 55530
TARGET_RATIO = 2.0
TARGET_DASHBOARD_MS = 300.0
VISITS = 1_000_000
CAMPAIGNS = 5
PLACEMENTS_PER_CAMPAIGN = 100
DAYS = 365
PANAMA_AREAS = [
    "PA01", "PA02", "PA03", "PA04", "PA05", "PA06", "PA07", "PA08", "PA09", "PA10", "PA11",
    "PA12", "PA13", "PA0804", "PA0805", "PA1301", "PA1304",
]  # fmt: skip


def insights_marker(keep: Path, database: str) -> Path:
    return keep / f"{database}-insights.json"


def child_arguments(database: str, args: argparse.Namespace) -> list[str]:
    return [
        "--child", database, "--people", str(args.people), "--queries", str(args.queries),
        "--warmup", str(args.warmup), "--seed", str(args.seed), "--refreshes", str(args.refreshes),
        *(["--keep", str(args.keep)] if args.keep else []),
    ]  # fmt: skip


def main_parent(args: argparse.Namespace) -> None:
    from bench.casework_bench import field_keys, forget_partial_load

    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(
        f"Senda insights bench: {args.people:,} people with their field work and {VISITS:,}"
        f" portal visits; {args.queries} timed computations of each kind (seed {args.seed})",
        flush=True,
    )
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
    print()
    print(f"{'Summary (ms)':<34} {'database':<10} {'p50':>8} {'p95':>8} {'floor p95':>10} ratio")
    for result in results:
        for name, figures in result["figures"].items():
            floor = figures.get("floor_p95")
            ratio = f"{figures['p95'] / floor:5.2f}x" if floor else "  —"
            floor_text = f"{floor:10.2f}" if floor else f"{'—':>10}"
            print(
                f"{name:<34} {result['database']:<10} {figures['p50']:8.2f}"
                f" {figures['p95']:8.2f} {floor_text} {ratio}"
            )
    print(
        f"Targets: at most {TARGET_RATIO:g}x the floor; the dashboard page at most"
        f" {TARGET_DASHBOARD_MS:g} ms on PostgreSQL."
    )


# ---------------------------------------------------------------------------------------------
# The child: one database.


def load_insights_data(seed: int) -> dict[str, Any]:
    """Areas for every person, the campaigns' year of daily counts and the programme."""
    from django.db import connection, transaction

    from senda.accounts.models import Organisation
    from senda.campaigns.attribution import new_code
    from senda.campaigns.models import (
        Campaign,
        CampaignStatus,
        Placement,
        PlacementDailyCount,
        PlacementEvent,
        PlacementKind,
    )
    from senda.insights.models import Programme

    rng = random.Random(seed + 7)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")
            cases = " ".join(f"WHEN {i} THEN '{code}'" for i, code in enumerate(PANAMA_AREAS))
            cursor.execute(
                f"UPDATE casework_person SET area_id = CASE abs(random()) % {len(PANAMA_AREAS)}"
                f" {cases} END"
            )
        else:
            codes = ",".join(f"'{code}'" for code in PANAMA_AREAS)
            cursor.execute(
                f"UPDATE casework_person SET area_id = (ARRAY[{codes}])"
                f"[1 + floor(random() * {len(PANAMA_AREAS)})::int]"
            )
    print(f"   areas given to every person in {time.perf_counter() - started:.0f} s", flush=True)

    started = time.perf_counter()
    organisations = list(Organisation.objects.order_by("name"))
    lead = organisations[0]
    today = datetime.date.today()
    with transaction.atomic():
        campaigns = [
            Campaign.objects.create(
                slug=f"bench-campaign-{number}",
                country_id="PA",
                owner=lead,
                name=f"Campaña de prueba {number}",
                status=CampaignStatus.PUBLISHED,
            )
            for number in range(CAMPAIGNS)
        ]
        placements = [
            Placement.objects.create(
                campaign=campaign,
                code=new_code(),
                kind=PlacementKind.POSTER,
                description=f"Cartel {number}",
            )
            for campaign in campaigns
            for number in range(PLACEMENTS_PER_CAMPAIGN)
        ]
        slots = [(placement, day) for placement in placements for day in range(DAYS)]
        weights = [rng.random() for _ in slots]
        scale = VISITS / sum(weights)
        visits = [int(weight * scale) for weight in weights]
        for index in rng.sample(range(len(slots)), VISITS - sum(visits)):
            visits[index] += 1
        rows = []
        for (placement, day), count in zip(slots, visits, strict=True):
            date = today - datetime.timedelta(days=day + 1)
            checklists = count // 3
            rows.append(
                PlacementDailyCount(
                    placement=placement, day=date, event=PlacementEvent.VISIT, count=count
                )
            )
            rows.append(
                PlacementDailyCount(
                    placement=placement, day=date, event=PlacementEvent.CHECKLIST, count=checklists
                )
            )
            rows.append(
                PlacementDailyCount(
                    placement=placement,
                    day=date,
                    event=PlacementEvent.INQUIRY,
                    count=checklists // 10,
                )
            )
        PlacementDailyCount.objects.bulk_create(rows, batch_size=10_000)
        programme = Programme.objects.create(
            slug="bench-programme", name="Programa de prueba", lead=lead
        )
        programme.organisations.set(organisations)
        programme.campaigns.set(campaigns)
    print(
        f"   {len(rows):,} daily counts ({VISITS:,} visits) and the programme in"
        f" {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    analyse()
    return {"daily_counts": len(rows), "visits": VISITS}


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def floor_sql(vendor: str, case: str) -> str:
    """Hand-written SQL for the same figures as the engine's table."""
    if vendor == "postgresql":
        local = "AT TIME ZONE 'America/Mexico_City'"
        area = "CASE WHEN a.level >= 2 THEN a.parent_id ELSE a.pcode END"
        if case == "people":
            return (
                f"SELECT {area}, date_trunc('month', p.registered_at {local})::date, COUNT(*)"
                " FROM casework_person p LEFT JOIN geo_adminarea a ON a.pcode = p.area_id"
                " WHERE p.organisation_id = ANY(%s) AND p.merged_into_id IS NULL"
                " AND p.registered_at >= %s AND p.registered_at < %s GROUP BY 1, 2"
            )
        if case == "orientations":
            return (
                f"SELECT {area}, date_trunc('month', o.occurred_at {local})::date,"
                " COUNT(DISTINCT o.person_id) FROM casework_orientation o"
                " JOIN casework_person p ON p.id = o.person_id"
                " LEFT JOIN geo_adminarea a ON a.pcode = COALESCE(o.area_id, p.area_id)"
                " WHERE o.organisation_id = ANY(%s)"
                " AND o.occurred_at >= %s AND o.occurred_at < %s"
                " GROUP BY GROUPING SETS ((1, 2), (1), (2), ())"
            )
        return (
            "SELECT pl.campaign_id, date_trunc('month', c.day)::date, SUM(c.count)"
            " FROM campaigns_placementdailycount c"
            " JOIN campaigns_placement pl ON pl.id = c.placement_id"
            " WHERE pl.campaign_id = ANY(%s) AND c.event = 'visit'"
            " AND c.day >= %s AND c.day <= %s GROUP BY 1, 2"
        )
    local = "'-6 hours'"
    area = "CASE WHEN a.level >= 2 THEN a.parent_id ELSE a.pcode END"
    if case == "people":
        return (
            f"SELECT {area}, strftime('%%Y-%%m-01', p.registered_at, {local}), COUNT(*)"
            " FROM casework_person p LEFT JOIN geo_adminarea a ON a.pcode = p.area_id"
            " WHERE p.organisation_id IN (SELECT value FROM json_each(%s))"
            " AND p.merged_into_id IS NULL"
            " AND p.registered_at >= %s AND p.registered_at < %s GROUP BY 1, 2"
        )
    if case == "orientations":
        month = f"strftime('%%Y-%%m-01', o.occurred_at, {local})"
        base = (
            " FROM casework_orientation o JOIN casework_person p ON p.id = o.person_id"
            " LEFT JOIN geo_adminarea a ON a.pcode = COALESCE(o.area_id, p.area_id)"
            " WHERE o.organisation_id IN (SELECT value FROM json_each(%s))"
            " AND o.occurred_at >= %s AND o.occurred_at < %s"
        )
        return " UNION ALL ".join(
            [
                f"SELECT {area}, {month}, COUNT(DISTINCT o.person_id){base} GROUP BY 1, 2",
                f"SELECT {area}, NULL, COUNT(DISTINCT o.person_id){base} GROUP BY 1",
                f"SELECT NULL, {month}, COUNT(DISTINCT o.person_id){base} GROUP BY 2",
                f"SELECT NULL, NULL, COUNT(DISTINCT o.person_id){base}",
            ]
        )
    return (
        "SELECT pl.campaign_id, strftime('%%Y-%%m-01', c.day), SUM(c.count)"
        " FROM campaigns_placementdailycount c"
        " JOIN campaigns_placement pl ON pl.id = c.placement_id"
        " WHERE pl.campaign_id IN (SELECT value FROM json_each(%s)) AND c.event = 'visit'"
        " AND c.day >= %s AND c.day <= %s GROUP BY 1, 2"
    )


def main_child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench import casework_data
    from bench.casework_bench import load_marker

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the page's hashed names
    print(f"\n== {database_label()}", flush=True)
    print(f"   migrated in {time.perf_counter() - started:.1f} s", flush=True)
    marker = load_marker(args.keep, args.child) if args.keep else None
    if marker is not None and marker.exists():
        print(f"   reusing the field work kept in {args.keep}", flush=True)
    else:
        report = casework_data.generate_and_load(people=args.people, seed=args.seed)
        if marker is not None:
            saved = json.loads(casework_data.report_to_json(report))
            marker.write_text(json.dumps({**saved, "seed": args.seed}))
    extra = insights_marker(args.keep, args.child) if args.keep else None
    if extra is None or not extra.exists():
        loaded = load_insights_data(args.seed)
        if extra is not None:
            extra.write_text(json.dumps(loaded))
    else:
        print(f"   reusing the areas, visits and programme kept in {args.keep}", flush=True)
    print(f"   database {database_megabytes():,.0f} MB", flush=True)

    from senda.accounts.models import Membership, User
    from senda.accounts.roles import Role
    from senda.insights.engine import Filters, indicator_table, indicators_for
    from senda.insights.models import Indicator, Programme

    programme_id = Programme.objects.get(slug="bench-programme").pk
    officer, _ = User.objects.get_or_create(username="bench-officer")
    lead = Programme.objects.get(pk=programme_id).lead
    Membership.objects.get_or_create(
        user=officer, organisation=lead, defaults={"role": Role.PROGRAMME_OFFICER}
    )
    today = timezone.localdate()
    start = today - datetime.timedelta(days=364)

    def fresh() -> tuple[Any, Any, Filters]:
        # A request's own objects: nothing remembered from the previous computation.
        user = User.objects.get(pk=officer.pk)
        programme = Programme.objects.get(pk=programme_id)
        return user, programme, Filters(programme=programme, start=start, end=today)

    _user, programme, _filters = fresh()
    organisation_ids = [str(pk) for pk in programme.organisations.values_list("pk", flat=True)]
    campaign_ids = list(programme.campaigns.values_list("pk", flat=True))
    zone = timezone.get_current_timezone()
    low = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    high = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    vendor = connection.vendor
    bounds: tuple[Any, ...] = (low, high)
    if vendor == "sqlite":
        # Django keeps SQLite date-times as UTC text: compare with the same.
        bounds = tuple(
            moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S") for moment in (low, high)
        )

    def ids(values: list[Any]) -> Any:
        if vendor == "postgresql":
            return values
        return json.dumps(
            [value.replace("-", "") if isinstance(value, str) else value for value in values]
        )

    cases: dict[str, tuple[str, list[str], str, list[Any]]] = {
        "people by area and month": (
            "people-registered", ["area", "month"], "people", [ids(organisation_ids), *bounds]
        ),
        "orientations by area and month": (
            "orientations-people", ["area", "month"], "orientations",
            [ids(organisation_ids), *bounds] * (1 if vendor == "postgresql" else 4),
        ),
        "visits by campaign and month": (
            "campaign-visits", ["campaign", "month"], "visits",
            [ids(campaign_ids), start.isoformat(), today.isoformat()]
        ),
    }  # fmt: skip
    Indicator.objects.get_or_create(
        code="orientations-people",
        defaults={
            "name": "Personas orientadas",
            "source": "orientations",
            "measure": "people",
            "allowed_dimensions": ["area", "month"],
            "show_on_dashboard": False,
        },
    )

    figures: dict[str, dict[str, float]] = {}
    for name, (code, by, case, params) in cases.items():
        sql = floor_sql(vendor, case)

        def engine(code: str = code, by: list[str] = by) -> Any:
            user, _programme, filters = fresh()
            indicator = Indicator.objects.get(code=code)
            return indicator_table(user=user, indicator=indicator, filters=filters, by=by)

        def floor(sql: str = sql, params: list[Any] = params) -> list[Any]:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        check(name, engine(), floor())
        figures[name] = measure(name, engine, floor, args)

    def dashboard() -> int:
        user, programme, filters = fresh()
        tables = 0
        for indicator in indicators_for(user=user, programme=programme):
            by = [indicator.default_dimension] if indicator.default_dimension else []
            indicator_table(user=user, indicator=indicator, filters=filters, by=by)
            tables += 1
        return tables

    user, programme, filters = fresh()
    for indicator in indicators_for(user=user, programme=programme):
        by = [indicator.default_dimension] if indicator.default_dimension else []
        started = time.perf_counter()
        indicator_table(user=user, indicator=indicator, filters=filters, by=by)
        elapsed = (time.perf_counter() - started) * 1000
        print(f"     {indicator.code:<32} by {','.join(by) or '-':<14} {elapsed:9.1f} ms")
    print(f"   dashboard: {dashboard()} indicators by their default breakdown", flush=True)
    figures["dashboard indicators (all)"] = measure(
        "dashboard indicators (all)", dashboard, None, args
    )
    figures.update(dashboard_page(programme_id, officer, args))
    print("RESULT " + json.dumps({"database": vendor, "figures": figures}), flush=True)


def dashboard_page(programme_id: int, officer: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The cold refresh (what cron pays), then the dashboard page read from the figures it
    stored, as the programme officer sees it."""
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from senda.accounts.testing import login_verified
    from senda.insights.models import Programme
    from senda.insights.stored import max_age

    slug = Programme.objects.get(pk=programme_id).slug
    refresh_ms: list[float] = []
    for _number in range(args.refreshes):
        elapsed, _ = timed(
            lambda: call_command("refresh_insights", programme=[slug], stdout=io.StringIO())
        )
        refresh_ms.append(elapsed)
        print(f"   cold refresh (refresh_insights) {elapsed:10.1f} ms", flush=True)
    refreshed_at = time.monotonic()
    client = login_verified(Client(HTTP_HOST="127.0.0.1"), officer)
    path = reverse("insights:programme_dashboard", args=[programme_id])

    def page() -> Any:
        response = client.get(path)
        if response.status_code != 200 or b'id="figures-as-of"' not in response.content:
            raise SystemExit(f"{path}: status {response.status_code}, or not the dashboard")
        return response

    page_ms = []
    for index in range(args.queries * 3 + args.warmup):
        elapsed, _ = timed(page)
        if index >= args.warmup:
            page_ms.append(elapsed)
    if time.monotonic() - refreshed_at > max_age():
        raise SystemExit("the page outlived the stored figures: these times are not of reads")
    results = {
        "cold refresh (refresh_insights)": {
            "p50": percentile(refresh_ms, 0.5),
            "p95": percentile(refresh_ms, 0.95),
        },
        "dashboard page (stored figures)": {
            "p50": percentile(page_ms, 0.5),
            "p95": percentile(page_ms, 0.95),
        },
    }
    for name, result in results.items():
        print(f"   {name:<32} {result['p50']:8.2f} {result['p95']:8.2f}", flush=True)
    return results


def check(name: str, table: Any, rows: list[Any]) -> None:
    """The engine's total equals the floor's: the same figures are timed."""
    grand = [row for row in rows if row[0] is None and row[1] is None]
    floor_total = float(grand[0][2]) if grand else float(sum(row[2] for row in rows))
    engine_total = table.total.value
    verdict = "same" if engine_total == floor_total else "DIFFERENT"
    print(
        f"   {name}: {len(table.cells)} cells; total {engine_total:,.0f}, floor"
        f" {floor_total:,.0f} ({verdict})",
        flush=True,
    )
    if verdict != "same":
        raise SystemExit(f"{name}: the engine and the floor disagree")


def measure(
    name: str,
    engine: Callable[[], Any],
    floor: Callable[[], Any] | None,
    args: argparse.Namespace,
) -> dict[str, float]:
    engine_ms: list[float] = []
    floor_ms: list[float] = []
    for index in range(args.queries + args.warmup):
        order = [engine, floor] if index % 2 == 0 else [floor, engine]
        for function in order:
            if function is None:
                continue
            elapsed, _ = timed(function)
            if index >= args.warmup:
                (engine_ms if function is engine else floor_ms).append(elapsed)
    result = {"p50": percentile(engine_ms, 0.5), "p95": percentile(engine_ms, 0.95)}
    line = f"   {name:<32} {result['p50']:8.2f} {result['p95']:8.2f}"
    if floor_ms:
        result["floor_p50"] = percentile(floor_ms, 0.5)
        result["floor_p95"] = percentile(floor_ms, 0.95)
        line += (
            f"  floor {result['floor_p50']:8.2f} {result['floor_p95']:8.2f}"
            f"  ratio p95 {result['p95'] / result['floor_p95']:5.2f}x"
        )
    print(line, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=10, help="timed computations of each kind")
    parser.add_argument("--warmup", type=int, default=2, help="untimed computations first")
    parser.add_argument(
        "--refreshes", type=int, default=3, help="timed cold refreshes of the programme"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep",
        type=lambda value: Path(value).resolve(),
        metavar="DIR",
        help="the folder casework_bench.py --keep loaded (reused; the insights data is added once)",
    )
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        main_child(args)
    else:
        main_parent(args)


if __name__ == "__main__":
    main()
