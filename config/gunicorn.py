"""gunicorn's settings for Senda (``gunicorn -c config/gunicorn.py config.wsgi:application``):
how ``scripts/demo.sh`` serves it and how the benches under ``bench/`` measure it.

Workers: gunicorn's own advice, two per core and one more. Each worker runs Python in one
thread at a time; while one of its threads waits for the database another runs, and with two
workers per core the cores stay busy when many requests come at once (100 phones syncing:
32 s with 4 workers on 2 cores, 43 s with 2). Threads: 4 a worker. Both can be set with
``SENDA_WEB_WORKERS`` and ``SENDA_WEB_THREADS``; the command line overrides this file.
"""

from __future__ import annotations

import os

workers = int(os.environ.get("SENDA_WEB_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("SENDA_WEB_THREADS") or 4)
worker_class = "gthread"
