"""Directory bench: public search and "near me" at 100,000 services, on SQLite and PostgreSQL.

    uv run python bench/directory_bench.py [--db sqlite|postgres|both] [--services N]

For each database: create an empty database (a temporary SQLite file; a PostgreSQL 15 cluster
started here the way scripts/test.sh does, on 127.0.0.1:55510, and stopped afterwards), migrate,
load N services at 1.5 N locations, then time Senda's search (one word + a category + a
country, first page of 20) and near me (the 20 nearest services to a point), each against the
same question asked in hand-written SQL on the raw connection (the floor). Prints p50 and p95
of both, their ratios, and whether the targets hold (p95 <= 25 ms and <= 2x the floor).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script: the repository root is what `bench.` and `senda.` are imported from.
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

PG_PORT = 55510
TARGET_P95_MS = 25.0
TARGET_RATIO = 2.0


# ---------------------------------------------------------------------------------------------
# The parent: one child process per database, and the PostgreSQL cluster.


def child_arguments(database: str, args: argparse.Namespace) -> list[str]:
    return [
        "--child", database, "--services", str(args.services), "--queries", str(args.queries),
        "--warmup", str(args.warmup), "--seed", str(args.seed),
    ]  # fmt: skip


def main_parent(args: argparse.Namespace) -> None:
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    locations = args.services * 3 // 2
    print(
        f"Senda directory bench: {args.services:,} services at {locations:,} locations, "
        f"{args.queries} timed queries of each kind (seed {args.seed})",
        flush=True,
    )
    results = []
    for database in databases:
        if database == "sqlite":
            with sqlite_file() as url:
                results.append(run_child(__file__, url, child_arguments("sqlite", args)))
        else:
            with postgres_cluster(PG_PORT) as url:
                results.append(run_child(__file__, url, child_arguments("postgres", args)))
    print_summary(results, key="queries", target_p95_ms=TARGET_P95_MS, target_ratio=TARGET_RATIO)


# ---------------------------------------------------------------------------------------------
# The child: one database.


def ask_questions(
    samples: list[Any], *, queries: int, warmup: int, rng: Any
) -> dict[str, dict[str, float]]:
    """Time Senda and the floor on the same questions; print and return the figures."""
    from bench import directory_floor
    from senda.core.text import fold, tokens
    from senda.directory.nearby import services_near
    from senda.directory.search import ServiceFilters, search_services

    # Questions people ask: a word of a service's name (as typed: accents or not, whole or
    # the first letters), in its category or the category above, in its country.
    searches = []
    for sample in rng.choices(samples, k=queries + warmup):
        words = [
            word for word in sample.name.split() if [len(t) >= 4 for t in tokens(word)] == [True]
        ]
        word = rng.choice(words)
        roll = rng.random()
        if roll < 0.3:
            word = fold(word)
        elif roll < 0.5:
            word = word[: max(4, len(word) - 3)]
        category = sample.category_code
        if "." in category and rng.random() < 0.5:
            category = category.split(".")[0]
        searches.append((word, category, sample.country_code))
    # Points near places people are (rounded to two decimals, as the browser does).
    points = [
        (round(rng.gauss(sample.latitude, 0.05), 2), round(rng.gauss(sample.longitude, 0.05), 2))
        for sample in rng.choices(samples, k=queries + warmup)
    ]

    def run_search(word: str, category: str, country: str) -> tuple[Any, Any]:
        page = search_services(
            word, ServiceFilters(category_codes=(category,), country_code=country), per_page=20
        )
        return [(hit.service.pk, hit.score) for hit in page.hits], page.total

    def run_near(latitude: float, longitude: float) -> list[tuple[Any, float]]:
        return [(hit.service.pk, hit.distance_km) for hit in services_near(latitude, longitude)]

    figures: dict[str, dict[str, float]] = {}
    kinds: list[tuple[str, list[Any], Callable[..., Any], Callable[..., Any]]] = [
        (
            "search: word + category + country",
            searches,
            run_search,
            lambda word, category, country: directory_floor.search(
                word, category_code=category, country_code=country
            ),
        ),
        ("near me: 20 nearest", points, run_near, directory_floor.near),
    ]
    sizes = []
    for name, questions, senda_call, floor_call in kinds:
        senda_ms: list[float] = []
        floor_ms: list[float] = []
        for index, question in enumerate(questions):
            # Alternate which goes first, so neither always finds the cache warmed by the other.
            def ask_senda(q: Any = question, call: Any = senda_call) -> Any:
                return call(*q)

            def ask_floor(q: Any = question, call: Any = floor_call) -> Any:
                return call(*q)

            if index % 2:
                floor_time, floor_result = timed(ask_floor)
                senda_time, senda_result = timed(ask_senda)
            else:
                senda_time, senda_result = timed(ask_senda)
                floor_time, floor_result = timed(ask_floor)
            if senda_result != floor_result:
                raise SystemExit(f"{name}: Senda and the floor disagree on {question!r}")
            if index >= warmup:
                senda_ms.append(senda_time)
                floor_ms.append(floor_time)
                if name.startswith("search"):
                    sizes.append(senda_result[1])
        p50, p95 = percentile(senda_ms, 0.5), percentile(senda_ms, 0.95)
        floor_p50, floor_p95 = percentile(floor_ms, 0.5), percentile(floor_ms, 0.95)
        figures[name] = {
            "p50": p50,
            "p95": p95,
            "floor_p50": floor_p50,
            "floor_p95": floor_p95,
            "ratio_p50": p50 / floor_p50,
            "ratio_p95": p95 / floor_p95,
        }
    print(
        f"   {len(searches) + len(points)} questions, results identical to the floor; search"
        f" matches per question: median {percentile(sizes, 0.5):,.0f},"
        f" p95 {percentile(sizes, 0.95):,.0f}, max {max(sizes):,}",
        flush=True,
    )
    print(
        f"   {'query (ms)':<34} {'p50':>6}  {'p95':>6}  {'floor p50':>9}  {'floor p95':>9}"
        f"  {'ratio p50':>9}  {'ratio p95':>9}"
    )
    for name, values in figures.items():
        print(
            f"   {name:<34} {values['p50']:6.2f}  {values['p95']:6.2f}"
            f"  {values['floor_p50']:9.2f}  {values['floor_p95']:9.2f}"
            f"  {values['ratio_p50']:8.2f}x  {values['ratio_p95']:8.2f}x",
            flush=True,
        )
    return figures


def main_child(args: argparse.Namespace) -> None:
    import random

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import directory_data

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - started
    print(f"\n== {database_label()}", flush=True)
    report = directory_data.generate_and_load(
        services=args.services, locations=args.services * 3 // 2, seed=args.seed
    )
    print(
        f"   migrated in {migrate_seconds:.1f} s; generated and loaded in {report.seconds:.1f} s:"
        f" {report.tokens:,} search tokens, {report.points:,} map points,"
        f" {report.openings:,} weekly openings; database {database_megabytes():,.0f} MB",
        flush=True,
    )
    rng = random.Random(args.seed + 1)
    checked = directory_data.check_derived(
        sample.service_id for sample in rng.sample(report.samples, min(200, len(report.samples)))
    )
    print(
        f"   derived rows of {checked} random services recomputed through"
        " senda.directory.derived (the actions' path): identical to the bulk load",
        flush=True,
    )

    figures = ask_questions(report.samples, queries=args.queries, warmup=args.warmup, rng=rng)
    database = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    print("RESULT " + json.dumps({"database": database, "queries": figures}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400, help="timed queries of each kind")
    parser.add_argument("--warmup", type=int, default=40, help="untimed queries first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        main_child(args)
    else:
        main_parent(args)


if __name__ == "__main__":
    main()
