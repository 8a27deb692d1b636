# Hotline: the two commands are `make run` and `make test`; see README.md.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
BIN := $(VENV)/bin
# The first Python 3.12+ on PATH (pyenv reads .python-version, which asks for 3.13).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
	&& { echo $$p; break; }; done)

.PHONY: help run test lint typecheck pytest lock test-tools catalogues clean messages

help:
	@echo "make run    set up .venv, migrate, load the demo portals, serve on http://127.0.0.1:8000 with the worker"
	@echo "make test   the whole suite: ruff, mypy, pytest (with the browser tests in Chromium)"
	@echo "make lock   recompile requirements*.txt from requirements*.in (needs the network)"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Hotline needs Python 3.12 or newer (3.13 recommended) and found none on PATH." >&2; \
		echo "Install it (Debian/Ubuntu: apt-get install python3.13 python3.13-venv; or pyenv install 3.13) and run make again." >&2; \
		exit 1; fi
	$(PYTHON) -m venv $(VENV)

# Stamps record which lock file was installed, so editing a lock reinstalls.
# setup.py builds the PDQ index's C kernel in place: editing either rebuilds it.
$(VENV)/.runtime: requirements.txt pyproject.toml setup.py hotline/hashlist/_pdqkernel.c | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	@touch $@

# The translation catalogues (.mo) are built from the committed .po files, with Babel.
catalogues: $(VENV)/.runtime
	@$(BIN)/python -m hotline.core.catalogues compile >/dev/null

# var/hotline.env makes this a local demo (HOTLINE_DEBUG=1) for `make run` and for any
# `.venv/bin/hotline` command run from another terminal; delete it to run without.
LOCAL_ENV := $${HOTLINE_VAR_DIR:-var}/hotline.env
run: $(VENV)/.runtime catalogues
	@mkdir -p "$${HOTLINE_VAR_DIR:-var}"
	@[ -f "$(LOCAL_ENV)" ] || printf '# Written by `make run`: a local demo. Never on a production host.\nHOTLINE_DEBUG=1\n' > "$(LOCAL_ENV)"
	$(BIN)/hotline migrate --no-input
	$(BIN)/hotline loaddemo
	@# The offline IP to country/network database for hosting traces (docs/hosting-trace.md);
	@# without the network the site still runs, and traces lack country and network.
	@$(BIN)/hotline geo install || echo "hotline geo install failed: traces will have no country or network until it succeeds."
	$(BIN)/hotline serve

test-tools:
	@scripts/ensure-test-tools

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy hotline tests bench

# The tests run in several processes (pytest-xdist), whole files to a process: one and a half
# per core, as a test spends about half its time waiting on a server or a subprocess. Those
# marked `alone` (they measure time or load) wait until nothing else runs (tests/turns.py).
# PYTEST_PROCESSES=0 runs them all in this one process.
PYTEST_PROCESSES ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n + (n + 1) / 2 )))
pytest: $(VENV)/.dev catalogues test-tools
	$(BIN)/pytest -n $(PYTEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

test: lint typecheck pytest

lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile requirements.in --python-version 3.13 --generate-hashes --no-emit-index-url --no-emit-find-links -q -o requirements.txt
	$(BIN)/uv pip compile requirements-dev.in --python-version 3.13 --generate-hashes --no-emit-index-url --no-emit-find-links -q -o requirements-dev.txt

clean:
	rm -rf $(VENV) var build *.egg-info tests/browser/node_modules

# Translators: refresh the .po files from the code (needs GNU gettext), then translate every
# new entry in each hotline/locale/*/LC_MESSAGES/django.po. `make test` fails while any public
# string lacks a translation in any language, or any staff string one in Arabic or French
# (staff-only strings may stay blank in es, pt and sw: see hotline/core/catalogues.py).
LOCALES := ar fr es pt sw
messages: $(VENV)/.runtime
	cd hotline && HOTLINE_DEBUG=1 ../$(BIN)/django-admin makemessages $(addprefix -l ,$(LOCALES)) --no-obsolete --settings=hotline.settings --pythonpath=..
	$(MAKE) catalogues
