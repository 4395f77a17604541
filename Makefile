# Kokous — the two commands: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SYSDEPS_STAMP := var/.sysdeps-stamp
# Debian packages: chromium for browser tests, qpdf/poppler for PDF checks, Pango for WeasyPrint,
# gettext for translations, a font with full Finnish and Swedish coverage for PDF/A.
SYSTEM_PACKAGES := chromium qpdf poppler-utils gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint sysdeps venv migrate seed messages bench clean

run: venv sysdeps messages
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py audit_keygen --if-missing
	$(PY) manage.py file_keygen --if-missing
	$(PY) manage.py minutes_demo_seal --if-missing
	$(PY) manage.py seed_demo
	DJANGO_DEBUG=1 KOKOUS_HTTPS=0 $(PY) manage.py runserver_banner
	DJANGO_DEBUG=1 KOKOUS_HTTPS=0 $(VENV)/bin/daphne -b $(HOST) -p $(PORT) kokous.asgi:application

test: venv sysdeps messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Installs the Debian packages above only when one is missing (needs root, as on CI machines).
sysdeps: $(SYSDEPS_STAMP)

$(SYSDEPS_STAMP):
	@mkdir -p var
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $(SYSDEPS_STAMP)

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv -v 0

migrate: venv
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

bench: venv
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var/*.sqlite3* var/.sysdeps-stamp
