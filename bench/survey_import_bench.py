"""Survey import bench: 100,000 KoboToolbox submissions from one CSV, on SQLite and PostgreSQL.

    uv run python bench/survey_import_bench.py [--db sqlite|postgres|both] [--rows N]

For each database: create an empty database (a temporary SQLite file; a PostgreSQL 15 cluster
started here on 127.0.0.1:55540 and stopped afterwards), migrate, create a survey from a
realistic XLSForm (a diagnostic questionnaire: groups, 45 questions of every kind, labels in
two languages), generate the "XML values and headers" CSV export Kobo writes for N interviews
(`;`-separated, group paths, select_multiple as one column plus one 0/1 column per choice, free
text, locations and Kobo's metadata), then time ``submissions_import`` on it (the action the
staff page calls: read, check every answer against the form, store) and a second import of the
same file (adds nothing). Prints both times and the first one's ratio to the 30 s target.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

# Run as a script: the repository root is what `bench.` and `senda.` are imported from.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    database_label,
    database_megabytes,
    postgres_cluster,
    run_child,
    sqlite_file,
)

PG_PORT = 55540
TARGET_SECONDS = 30.0

COUNTRIES = ["mx", "gt", "hn", "sv", "ni"]
YES_NO = ["yes", "no", "dont_know"]
NEEDS = ["info", "legal", "health", "shelter", "work", "documents"]
CHANNELS = ["radio", "whatsapp", "facebook", "friends", "ngo", "church"]
KNOWLEDGE = [f"k{n:02d}" for n in range(1, 13)]
COUNTS = ["household_size", "children", "days_travelling", "times_crossed", "nights_shelter"]
AMOUNTS = ["money_spent", "distance_km", "hours_walked"]


# ---------------------------------------------------------------------------------------------
# The form and its export.


def xlsform_bytes() -> bytes:
    from openpyxl import Workbook

    survey: list[list[str]] = [
        ["type", "name", "label::English (en)", "label::Español (es)", "calculation"],
        ["start", "start", "", "", ""],
        ["end", "end", "", "", ""],
        ["deviceid", "deviceid", "", "", ""],
        ["begin_group", "profile", "Profile", "Perfil", ""],
        ["select_one country", "country", "Country", "País", ""],
        ["select_one sex", "sex", "Sex", "Sexo", ""],
        ["integer", "age", "Age", "Edad", ""],
        ["select_one country", "nationality", "Nationality", "Nacionalidad", ""],
        ["select_one community", "community", "Migrant or host", "Migrante o acogida", ""],
        ["text", "full_name", "Name", "Nombre", ""],
        ["end_group", "", "", "", ""],
        ["begin_group", "knowledge", "Knowledge", "Conocimiento", ""],
    ]
    for name in KNOWLEDGE:
        survey.append(["select_one yes_no", name, f"Question {name}", f"Pregunta {name}", ""])
    survey.append(["end_group", "", "", "", ""])
    survey += [
        ["select_multiple needs", "needs", "Needs", "Necesidades", ""],
        ["select_multiple channels", "channels", "Channels", "Canales", ""],
        ["select_multiple needs", "needs_met", "Needs met", "Necesidades cubiertas", ""],
    ]
    for name in COUNTS:
        survey.append(["integer", name, name, name, ""])
    for name in AMOUNTS:
        survey.append(["decimal", name, name, name, ""])
    survey += [
        ["text", "comments", "Comments", "Comentarios", ""],
        ["text", "phone", "Phone", "Teléfono", ""],
        ["geopoint", "location", "Location", "Ubicación", ""],
        ["image", "photo", "Photo", "Foto", ""],
        ["text", "village", "Village", "Comunidad", ""],
        ["decimal", "weight", "Weight", "Peso", ""],
        ["calculate", "stratum", "", "", "concat(${country}, '-', ${community})"],
        ["calculate", "age_group", "", "", "if(${age} < 18, 'minor', 'adult')"],
        ["calculate", "score", "", "", "${k01} = 'yes'"],
    ]
    choices = [["list_name", "name", "label::English (en)", "label::Español (es)"]]
    choices += [["country", c, c.upper(), c.upper()] for c in COUNTRIES]
    choices += [["sex", "f", "Female", "Mujer"], ["sex", "m", "Male", "Hombre"]]
    choices += [
        ["community", "migrant", "Migrant", "Migrante"],
        ["community", "host", "Host", "Acogida"],
    ]
    choices += [["yes_no", v, v, v] for v in YES_NO]
    choices += [["needs", v, v.title(), v.title()] for v in NEEDS]
    choices += [["channels", v, v.title(), v.title()] for v in CHANNELS]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    choice_sheet = workbook.create_sheet("choices")
    for row in choices:
        choice_sheet.append(row)
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append(["Diagnostic (bench)", "diagnostic_bench", "1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_csv(rows: int, seed: int) -> bytes:
    """Kobo's "XML values and headers" CSV of ``rows`` made-up interviews."""
    rng = random.Random(seed)
    header = ["start", "end", "deviceid"]
    header += [f"profile/{n}" for n in ("country", "sex", "age", "nationality", "community")]
    header += ["profile/full_name"]
    header += [f"knowledge/{name}" for name in KNOWLEDGE]
    for name, options in (("needs", NEEDS), ("channels", CHANNELS), ("needs_met", NEEDS)):
        header += [name, *[f"{name}/{option}" for option in options]]
    header += COUNTS + AMOUNTS
    header += ["comments", "phone", "location", "_location_latitude", "_location_longitude"]
    header += ["_location_altitude", "_location_precision", "photo", "village", "weight"]
    header += ["stratum", "age_group", "score", "meta/instanceID", "_id", "_uuid"]
    header += ["_submission_time", "_validation_status", "_notes", "_status", "_submitted_by"]
    header += ["__version__", "_tags", "_index"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for number in range(1, rows + 1):
        country, community = rng.choice(COUNTRIES), rng.choice(["migrant", "host"])
        age = rng.randint(12, 80)
        uuid = f"{rng.getrandbits(128):032x}"
        uuid = f"{uuid[:8]}-{uuid[8:12]}-4{uuid[13:16]}-8{uuid[17:20]}-{uuid[20:32]}"
        day = 1 + number % 28
        row: list[Any] = [
            f"2025-03-{day:02d}T09:00:00.000-06:00",
            f"2025-03-{day:02d}T09:20:00.000-06:00",
            f"collect:{rng.getrandbits(40):x}",
            country,
            rng.choice(["f", "m"]),
            age,
            rng.choice(COUNTRIES),
            community,
            "Nombre Apellido",
        ]
        answers = [rng.choice(YES_NO) for _ in KNOWLEDGE]
        row += answers
        for options in (NEEDS, CHANNELS, NEEDS):
            chosen = [option for option in options if rng.random() < 0.3]
            row.append(" ".join(chosen))
            row += ["1" if option in chosen else "0" for option in options]
        row += [rng.randint(0, 12) for _ in COUNTS]
        row += [f"{rng.uniform(0, 500):.2f}" for _ in AMOUNTS]
        lat, lon = rng.uniform(10, 20), rng.uniform(-95, -83)
        row += ["Texto libre del entrevistado", "+50760000000", f"{lat:.5f} {lon:.5f} 0 5"]
        row += [f"{lat:.5f}", f"{lon:.5f}", "0", "5", "", f"V{rng.randint(1, 300):03d}"]
        row += [f"{rng.uniform(0.5, 3):.4f}", f"{country}-{community}"]
        row += ["minor" if age < 18 else "adult", "1" if answers[0] == "yes" else "0"]
        row += [f"uuid:{uuid}", number, uuid, f"2025-03-{day:02d}T15:{number % 60:02d}:00"]
        row += ["", "", "submitted_via_web", "enumerator", "vBench", "", number]
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------------------------
# The parent: one child process per database, and the PostgreSQL cluster.


def child_arguments(database: str, args: argparse.Namespace) -> list[str]:
    return ["--child", database, "--rows", str(args.rows), "--seed", str(args.seed)]


def main_parent(args: argparse.Namespace) -> None:
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(
        f"Senda survey import bench: {args.rows:,} KoboToolbox submissions in one CSV "
        f"(seed {args.seed}); target {TARGET_SECONDS:g} s",
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
    print()
    print(
        f"{'Summary':<12} {'rows':>8} {'import s':>9} {'/target':>8} {'re-import s':>12}"
        f" {'added':>8}"
    )
    for result in results:
        print(
            f"{result['database']:<12} {result['rows']:>8,} {result['import_s']:>9.1f}"
            f" {result['ratio']:>7.2f}x {result['reimport_s']:>12.1f} {result['reimport_added']:>8}"
            f"  {'met' if result['ratio'] <= 1 else 'NOT MET'}"
        )


# ---------------------------------------------------------------------------------------------
# The child: one database.


def main_child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from senda.accounts.models import Membership, Organisation, User
    from senda.accounts.roles import Role
    from senda.insights.models import Programme
    from senda.surveys import actions
    from senda.surveys.models import Submission

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"\n== {database_label()}", flush=True)
    print(f"   migrated in {time.perf_counter() - started:.1f} s", flush=True)

    organisation = Organisation.objects.create(name="Bench organisation", slug="bench-org")
    officer = User.objects.create(username="bench-officer")
    Membership.objects.create(user=officer, organisation=organisation, role=Role.PROGRAMME_OFFICER)
    programme = Programme.objects.create(slug="bench", name="Bench programme", lead=organisation)
    survey = actions.survey_create(
        actor=officer,
        programme=programme,
        name="Diagnostic (bench)",
        round="baseline",
        xlsform=xlsform_bytes(),
        filename="diagnostic_bench.xlsx",
    )
    started = time.perf_counter()
    content = export_csv(args.rows, args.seed)
    columns = content.split(b"\n", 1)[0].count(b";") + 1
    print(
        f"   form of {survey.questions.count()} questions; export of {args.rows:,} interviews"
        f" generated in {time.perf_counter() - started:.1f} s ({len(content) / 1e6:.1f} MB,"
        f" {columns} columns)",
        flush=True,
    )

    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    result = actions.submissions_import(
        actor=officer, survey=survey, content=content, filename="export.csv"
    )
    import_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    assert result.added == args.rows, result
    # The machine may be shared: the CPU time of this process and the load average say how
    # much of the wall time was waiting for a core.
    print(
        f"   import: {result.added:,} added in {import_seconds:.1f} s"
        f" ({import_seconds / args.rows * 1e6:.0f} µs an interview;"
        f" {import_seconds / TARGET_SECONDS:.2f}x the {TARGET_SECONDS:g} s target);"
        f" Python CPU {cpu_seconds:.1f} s; load average {load_before:.1f} before,"
        f" {os.getloadavg()[0]:.1f} after on {os.cpu_count()} cores",
        flush=True,
    )

    started = time.perf_counter()
    again = actions.submissions_import(
        actor=officer, survey=survey, content=content, filename="export.csv"
    )
    reimport_seconds = time.perf_counter() - started
    assert again.added == 0 and again.skipped == args.rows, again
    print(
        f"   re-import of the same file: {again.added} added, {again.skipped:,} skipped in"
        f" {reimport_seconds:.1f} s",
        flush=True,
    )
    sample = Submission.objects.filter(survey=survey).first()
    assert sample is not None
    kept = sorted(sample.data)
    assert not {"full_name", "comments", "phone", "location", "village"} & set(kept)
    print(
        f"   stored per interview: {len(kept)} answers ({', '.join(kept[:6])}, ...);"
        f" database {database_megabytes():,.0f} MB",
        flush=True,
    )
    database = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    print(
        "RESULT "
        + json.dumps(
            {
                "database": database,
                "rows": args.rows,
                "import_s": import_seconds,
                "cpu_s": cpu_seconds,
                "ratio": import_seconds / TARGET_SECONDS,
                "reimport_s": reimport_seconds,
                "reimport_added": again.added,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        main_child(args)
    else:
        main_parent(args)


if __name__ == "__main__":
    main()
