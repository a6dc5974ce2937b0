# Two commands on a fresh machine: `make run` serves the lab, `make test` runs every test.
# Each creates the virtual environment .venv on first use and refreshes it when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run dev test bench compare translations screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.app-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.app-installed

## make run: serve the lab with gunicorn on http://127.0.0.1:8050 (ARGS="--workers 8 --port 8060")
run: $(VENV)/.app-installed
	$(BIN)/python app.py $(ARGS)

## make dev: one process with Dash's debug server and hot reload
dev: $(VENV)/.app-installed
	$(BIN)/python app.py --dev $(ARGS)

## make test: unit, integration (real gunicorn, real Redis) and browser (headless Chromium) tests
test: $(VENV)/.test-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make bench: the benchmark scripts, which print their figures side by side (see bench/)
bench: $(VENV)/.test-installed
	$(BIN)/python -m bench.instruments
	$(BIN)/python -m bench.patterns
	$(BIN)/python -m bench.compare
	$(BIN)/python -m bench.send_less
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.background

## make compare: start a lab under gunicorn, run every pattern through the same users, print the table
## (ARGS="--backend redis --workers 1,4 --users 8 --rows 100000 --step 1"; see python -m lab.compare --help)
compare: $(VENV)/.app-installed
	$(BIN)/python -m lab.compare $(ARGS)

## make translations: extract the text to translate, merge it into every catalog, compile them
## (translations/<lang>/LC_MESSAGES/{messages,js}.po; the compiled .mo files are committed)
translations: $(VENV)/.app-installed
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k later -k ngettext:1,2 --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel extract -F babel-js.cfg -k t --no-location --sort-output -o translations/js.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching
	$(BIN)/pybabel update -i translations/js.pot -d translations -D js --no-fuzzy-matching
	$(BIN)/pybabel compile -d translations -D messages
	$(BIN)/pybabel compile -d translations -D js
## make screenshots: start a lab, photograph the main pages at 1280x720 in English and Spanish
## into docs/screenshots/<lang>/ (headless Chromium; ARGS="--pages home compare --langs es")
screenshots: $(VENV)/.test-installed
	$(BIN)/python scripts/screenshots.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
