#!/usr/bin/env bash
# Set everything up and start the demo on SQLite with demo data. Used by `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-uv}"
PORT="${PORT:-8000}"

"$UV" sync --frozen --no-dev --quiet
mkdir -p var
# Secrets made once per install (unless the environment gives them):
# once_per_install VARIABLE FILE PYTHON: export VARIABLE from FILE, making FILE with PYTHON once.
once_per_install() {
  if [ -z "${!1:-}" ]; then
    if [ ! -s "$2" ]; then
      "$UV" run --no-dev python -c "$3" > "$2"
      chmod 600 "$2"
    fi
    export "$1=$(cat "$2")"
  fi
}
once_per_install SECRET_KEY var/secret_key 'import secrets; print(secrets.token_urlsafe(50))'
# The keys of the encrypted personal fields and of their search hashes.
once_per_install SENDA_FIELD_KEYS var/field_keys \
  'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'
once_per_install SENDA_SEARCH_KEYS var/search_keys 'import secrets; print(secrets.token_urlsafe(32))'
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"

"$UV" run --no-dev python manage.py compilemessages --ignore=.venv -v 0
"$UV" run --no-dev python manage.py migrate --no-input -v 0
"$UV" run --no-dev python manage.py createcachetable
"$UV" run --no-dev python manage.py collectstatic --no-input -v 0
"$UV" run --no-dev python manage.py demo

echo
echo "Senda is running at http://127.0.0.1:${PORT}/  (Ctrl+C stops it)"
# Workers and threads: config/gunicorn.py (SENDA_WEB_WORKERS, SENDA_WEB_THREADS).
exec "$UV" run --no-dev gunicorn -c config/gunicorn.py config.wsgi:application \
  --bind "127.0.0.1:${PORT}" --access-logfile - \
  --access-logformat '%(t)s "%(m)s %(U)s" %(s)s %(b)s'
