# Senda's two front doors. See README.md.
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: demo test lint messages uv

uv:
	@command -v uv >/dev/null 2>&1 || test -x "$(HOME)/.local/bin/uv" || python3 -m pip install --quiet --user uv

## make demo: install, create the SQLite database, load the demo data, serve on 127.0.0.1:$(PORT)
demo: uv
	PORT=$(PORT) UV=$(UV) bash scripts/demo.sh

## make test: install what tests need, run lint, types and the suite on SQLite and PostgreSQL 15
test: uv
	UV=$(UV) bash scripts/test.sh

lint: uv
	$(UV) run ruff check . && $(UV) run ruff format --check . && $(UV) run mypy .

## Extract translatable strings into locale/*/LC_MESSAGES/django.po
messages: uv
	$(UV) run python manage.py makemessages -l es -l en --no-obsolete --ignore=.venv --ignore=var
