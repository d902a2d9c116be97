#!/usr/bin/env bash
# Set everything up and start the demo on SQLite with demo data. Used by `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-uv}"
PORT="${PORT:-8000}"

"$UV" sync --frozen --no-dev --quiet
mkdir -p var
if [ -z "${SECRET_KEY:-}" ]; then
  if [ ! -s var/secret_key ]; then
    "$UV" run --no-dev python -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
    chmod 600 var/secret_key
  fi
  SECRET_KEY="$(cat var/secret_key)"
  export SECRET_KEY
fi
# Keys of the encrypted personal fields and of their search hashes, made once per install.
if [ -z "${SENDA_FIELD_KEYS:-}" ]; then
  if [ ! -s var/field_keys ]; then
    "$UV" run --no-dev python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > var/field_keys
    chmod 600 var/field_keys
  fi
  SENDA_FIELD_KEYS="$(cat var/field_keys)"
  export SENDA_FIELD_KEYS
fi
if [ -z "${SENDA_SEARCH_KEYS:-}" ]; then
  if [ ! -s var/search_keys ]; then
    "$UV" run --no-dev python -c 'import secrets; print(secrets.token_urlsafe(32))' > var/search_keys
    chmod 600 var/search_keys
  fi
  SENDA_SEARCH_KEYS="$(cat var/search_keys)"
  export SENDA_SEARCH_KEYS
fi
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"

"$UV" run --no-dev python manage.py compilemessages --ignore=.venv -v 0
"$UV" run --no-dev python manage.py migrate --no-input -v 0
"$UV" run --no-dev python manage.py createcachetable
"$UV" run --no-dev python manage.py collectstatic --no-input -v 0
"$UV" run --no-dev python manage.py demo

echo
echo "Senda is running at http://127.0.0.1:${PORT}/  (Ctrl+C stops it)"
exec "$UV" run --no-dev gunicorn config.wsgi:application \
  --bind "127.0.0.1:${PORT}" --workers 2 --threads 4 --access-logfile - \
  --access-logformat '%(t)s "%(m)s %(U)s" %(s)s %(b)s'
