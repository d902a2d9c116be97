"""Throughput of the public pages under the production server, against a floor.

Serves Senda with gunicorn (2 workers x 4 threads) on a fresh SQLite database with the demo data,
loads each page with wrk at 32 concurrent connections, and in the same run serves the very same
response bytes from a minimal Django view in the same server (the floor). Prints requests per
second, p50 and p99 for each, and each page's ratio to its floor. Target: every page at least
0.5 of the floor.

    uv run python bench/pages_bench.py [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


def run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def pages(base: str) -> dict[str, str]:
    """The pages to load: name -> path, found on the demo data."""
    found: dict[str, str] = {
        "home": "/",
        "search": "/search/?q=vacunacion&country=PA",
    }
    html = urllib.request.urlopen(base + "/search/?q=vacunacion").read().decode()
    match = re.search(r'href="(/services/[0-9a-f-]+/)"', html)
    if match:
        found["service"] = match.group(1)
    found["campaign"] = "/c/echale-ganas/"
    html = urllib.request.urlopen(base + "/guides/MX/").read().decode()
    match = re.search(r'href="(/guides/MX/[a-z0-9-]+/)"', html)
    if match:
        found["guide"] = match.group(1)
    found["checklist-result"] = (
        "/guides/checklist/?nationality=GT&current_country=GT&destination=MX&purpose=work"
        "&age_group=18_24&documents_held=passport&documents_done=1"
    )
    return found


def wrk(url: str, *, duration: int, connections: int) -> tuple[float, float, float]:
    """Requests per second, p50 ms and p99 ms."""
    output = subprocess.run(
        # A new connection per request: with keep-alive, the first accept decides which of the
        # server's processes serves a connection for the whole run, and the figures swing by 3x.
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-H",
            "Connection: close",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def latency(percentile: str) -> float:
        value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    if "Non-2xx" in output:
        raise SystemExit(f"{url} answered errors under load:\n{output}")
    return rps, latency("50"), latency("99")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="render every request (SENDA_PUBLIC_CACHE_SECONDS=0): the cost of a first visit",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    work = Path(tempfile.mkdtemp(prefix="senda-pages-bench-"))
    floor_dir = work / "floor"
    floor_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "DJANGO_SETTINGS_MODULE": "bench.pages_settings",
        "SENDA_BENCH_FLOOR_DIR": str(floor_dir),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    if args.no_page_cache:
        env["SENDA_PUBLIC_CACHE_SECONDS"] = "0"
    env.pop("SENDA_DEBUG", None)
    env.pop("SENDA_TESTING", None)
    python = [sys.executable, "manage.py"]
    print("preparing: migrate, demo data, static files ...", flush=True)
    run([*python, "compilemessages", "--ignore=.venv", "-v", "0"], env)
    run([*python, "migrate", "--no-input", "-v", "0"], env)
    run([*python, "createcachetable"], env)
    run([*python, "demo"], env)
    run([*python, "collectstatic", "--no-input", "-v", "0"], env)

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/")
                break
            except OSError:
                time.sleep(0.2)
        targets = pages(base)
        for name, path in targets.items():
            body = urllib.request.urlopen(base + path).read()
            (floor_dir / f"{name}.html").write_bytes(body)
        cache = "off (every request rendered)" if args.no_page_cache else "on (anonymous pages)"
        print(
            f"gunicorn, 2 workers x 4 threads, wrk -t2 -c{args.connections} -d{args.duration}s"
            f" with a new connection per request; page cache {cache}\n"
        )
        header = f"{'page':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        print(f"{header}{'floor req/s':>13}{'floor p50':>11}{'floor p99':>11}{'ratio':>8}")
        worst = 1.0
        for name, path in targets.items():
            page_rps, page_p50, page_p99 = wrk(
                base + path, duration=args.duration, connections=args.connections
            )
            floor_rps, floor_p50, floor_p99 = wrk(
                f"{base}/__floor/{name}/", duration=args.duration, connections=args.connections
            )
            ratio = page_rps / floor_rps
            worst = min(worst, ratio)
            print(
                f"{name:<18}{page_rps:>9.0f}{page_p50:>9.1f}{page_p99:>9.1f}"
                f"{floor_rps:>13.0f}{floor_p50:>11.1f}{floor_p99:>11.1f}{ratio:>8.2f}"
            )
        verdict = "met" if worst >= 0.5 else "NOT met"
        print(f"\nworst ratio {worst:.2f}; target: every page at least 0.5 of the floor: {verdict}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
