# Fengqiao: the two commands of the README are `make demo` and `make test`.
# Both install everything they need (Python packages into .venv, npm packages, Debian's
# Chromium for the browser tests) and can be run again at any time.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FQ := $(VENV)/bin/fengqiao
PORT ?= 8000
HOST ?= 127.0.0.1
export FENGQIAO_VAR_DIR ?= $(CURDIR)/var
export DJANGO_SETTINGS_MODULE ?= fengqiao.settings.dev

.PHONY: demo setup test lint venv assets browser clean messages

demo: setup
	$(FQ) serve --host $(HOST) --port $(PORT)

setup: $(VENV)/.installed node_modules/.installed
	$(FQ) assets
	$(FQ) collectstatic --noinput -v0
	$(FQ) migrate --noinput -v0
	$(FQ) demo load
	$(FQ) sla sweep

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(VENV)/.installed node_modules/.installed
	$(FQ) assets

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; } || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(if $(shell command -v sudo 2>/dev/null),sudo,) apt-get update -qq && \
	  $(if $(shell command -v sudo 2>/dev/null),sudo,) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; }

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src benchmarks conftest.py
	DJANGO_SETTINGS_MODULE=fengqiao.settings.test $(PY) -m django makemigrations --check --dry-run -v1

test: $(VENV)/.installed node_modules/.installed browser assets lint
	DJANGO_SETTINGS_MODULE=fengqiao.settings.test $(VENV)/bin/pytest -q -p no:cacheprovider --numprocesses=auto --maxprocesses=4

# Refresh the Chinese catalogue: collect strings, fill them from the tables kept with the code
# (src/fengqiao/locale/zh_extra.py, mediation/i18n_zh.py), compile the .mo that is committed.
messages: $(VENV)/.installed
	cd src/fengqiao && DJANGO_SETTINGS_MODULE=fengqiao.settings.test ../../$(PY) -m django makemessages -l zh_Hans --no-obsolete -i "tests/*"
	$(PY) scripts/fill_translations.py

clean:
	rm -rf var node_modules $(VENV) .pytest_cache
