"""What the benches share: a throwaway PostgreSQL 15 cluster, one child process per database,
percentiles and timing."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return (time.perf_counter() - started) * 1000, result


@contextmanager
def postgres_cluster(port: int, keep: Path | None = None) -> Iterator[str]:
    """A PostgreSQL 15 cluster on 127.0.0.1:``port``; yields its DATABASE_URL. Throwaway, or,
    with ``keep``, its data folder stays in ``keep`` and a later call starts it again."""
    if keep is not None:
        directory = keep / "postgres"
        directory.mkdir(parents=True, exist_ok=True)
    else:
        directory = Path(tempfile.mkdtemp(prefix="senda-bench-pg."))
    shutil.chown(directory, "postgres")
    data = directory / "data"
    existing = (data / "PG_VERSION").exists()

    def as_postgres(*command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], check=True, stdout=subprocess.DEVNULL
        )

    try:
        if not existing:
            as_postgres(
                str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                "-E", "UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {directory}"
            # Durability is irrelevant to a benchmark and slows the bulk load.
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c shared_buffers=1GB -c max_wal_size=4GB"
        )
        as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-w",
            "-o", options, "start",
        )  # fmt: skip
        if not existing:
            as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "senda_bench")
        yield f"postgres://postgres@127.0.0.1:{port}/senda_bench"
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data),
             "-m", "fast", "stop"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        if keep is None:
            shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def sqlite_file(keep: Path | None = None) -> Iterator[str]:
    """A SQLite file; yields its DATABASE_URL. In a temporary directory removed afterwards, or,
    with ``keep``, in ``keep`` where it stays."""
    if keep is not None:
        directory = keep / "sqlite"
        directory.mkdir(parents=True, exist_ok=True)
    else:
        directory = Path(tempfile.mkdtemp(prefix="senda-bench-sqlite."))
    try:
        yield f"sqlite:///{directory / 'bench.sqlite3'}"
    finally:
        if keep is None:
            shutil.rmtree(directory, ignore_errors=True)


def run_child(
    script: str, database_url: str, arguments: list[str], extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``script --child ...`` on ``database_url``; echo its output, return its RESULT line."""
    env = {
        **(extra_env or {}),
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
        "SENDA_DEBUG": "",
    }
    process = subprocess.Popen(
        [sys.executable, script, *arguments], env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert process.stdout is not None
    result: dict[str, Any] = {}
    for line in process.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
        else:
            print(line, end="", flush=True)
    if process.wait() != 0:
        raise SystemExit(f"the run on {database_url.split(':')[0]} failed")
    return result


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def database_megabytes() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            )
        else:
            cursor.execute("SELECT pg_database_size(current_database())")
        return float(cursor.fetchone()[0]) / 1e6


def print_summary(
    results: list[dict[str, Any]], *, key: str, target_p95_ms: float, target_ratio: float
) -> None:
    """The closing table: each measure on each database beside its floor, and the verdict."""
    width = max(len(name) for result in results for name in result[key]) + 2
    print()
    print(
        f"{'Summary (ms)':<{width}} {'database':<10} {'p50':>6} {'p95':>6} {'floor p50':>10}"
        f" {'floor p95':>10} {'p95/floor':>10}"
    )
    all_met = True
    for result in results:
        for name, figures in result[key].items():
            met = figures["p95"] <= target_p95_ms and figures["ratio_p95"] <= target_ratio
            all_met = all_met and met
            print(
                f"{name:<{width}} {result['database']:<10} {figures['p50']:6.2f}"
                f" {figures['p95']:6.2f} {figures['floor_p50']:10.2f}"
                f" {figures['floor_p95']:10.2f} {figures['ratio_p95']:9.2f}x"
                f"  {'met' if met else 'NOT MET'}"
            )
    print(
        f"Targets (p95 <= {target_p95_ms:g} ms and <= {target_ratio:g}x the floor): "
        + ("all met" if all_met else "NOT all met")
    )
