#!/usr/bin/env bash
# Install what the tests need and run everything: lint, types, the suite on SQLite, then the
# suite again on a PostgreSQL 15 cluster started here and stopped afterwards. Used by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-uv}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
CHROMIUM="${SENDA_CHROMIUM:-/usr/bin/chromium}"

need_apt=()
[ -x "$CHROMIUM" ] || need_apt+=(chromium)
[ -x "$PG_BIN/initdb" ] || need_apt+=(postgresql-15)
command -v msgfmt >/dev/null 2>&1 || need_apt+=(gettext)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing from Debian: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

"$UV" sync --frozen --quiet
mkdir -p var/static
export SENDA_TESTING=1
export SENDA_CHROMIUM="$CHROMIUM"
# Playwright's sync API runs an event loop in the test thread; Django's guard would refuse DB use.
export DJANGO_ALLOW_ASYNC_UNSAFE=true

"$UV" run python manage.py compilemessages --ignore=.venv -v 0
if [ -z "${SENDA_SKIP_LINT:-}" ]; then
  echo "== lint and types"
  "$UV" run ruff check .
  "$UV" run ruff format --check .
  "$UV" run mypy .
  "$UV" run python manage.py makemigrations --check --dry-run -v 1
fi

# SENDA_DATABASES narrows the run while developing (sqlite, postgres); CI runs both.
DATABASES_TO_TEST="${SENDA_DATABASES:-sqlite,postgres}"
case "$DATABASES_TO_TEST" in *sqlite*)
  echo "== suite on SQLite"
  DATABASE_URL="sqlite:///$(pwd)/var/test.sqlite3" "$UV" run pytest -p no:cacheprovider "$@"
esac
case "$DATABASES_TO_TEST" in *postgres*) ;; *) exit 0 ;; esac

echo "== suite on PostgreSQL 15"
PG_DIR="$(mktemp -d /tmp/senda-pg.XXXXXX)"
chown postgres "$PG_DIR"
PG_PORT="${SENDA_PG_PORT:-55432}"
stop_pg() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_pg EXIT
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 \
  --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/senda" "$UV" run pytest -p no:cacheprovider "$@"
