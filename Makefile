# Hotline: the two commands are `make run` and `make test`; see README.md.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
BIN := $(VENV)/bin
# The first Python 3.12+ on PATH (pyenv reads .python-version, which asks for 3.13).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
	&& { echo $$p; break; }; done)

.PHONY: help run test lint typecheck pytest lock browser clean messages

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
$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	@touch $@

run: $(VENV)/.runtime
	HOTLINE_DEBUG=$${HOTLINE_DEBUG:-1} $(BIN)/hotline migrate --no-input
	HOTLINE_DEBUG=$${HOTLINE_DEBUG:-1} $(BIN)/hotline loaddemo
	HOTLINE_DEBUG=$${HOTLINE_DEBUG:-1} $(BIN)/hotline serve

browser:
	@scripts/ensure-chromium

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy hotline tests bench

pytest: $(VENV)/.dev browser
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile requirements.in --python-version 3.13 --generate-hashes --no-emit-index-url --no-emit-find-links -q -o requirements.txt
	$(BIN)/uv pip compile requirements-dev.in --python-version 3.13 --generate-hashes --no-emit-index-url --no-emit-find-links -q -o requirements-dev.txt

clean:
	rm -rf $(VENV) var build *.egg-info

# Translators: refresh the .po files from the code, edit them, then compile the .mo files
# (both are committed, so `make run` needs no gettext).
messages: $(VENV)/.runtime
	cd hotline && HOTLINE_DEBUG=1 ../$(BIN)/django-admin makemessages -l fr -l ar --settings=hotline.settings --pythonpath=.. -i "assessment/*"
	cd hotline && HOTLINE_DEBUG=1 ../$(BIN)/django-admin compilemessages --settings=hotline.settings --pythonpath=..
