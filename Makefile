# The two Quick start commands (`make demo`, `make test`) create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow validation docs clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "twin needs Python >= 3.11; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps 'stockpyl>=1.0.2,<2'  # see pyproject.toml, extra 'oracle'
	@touch $(STAMP)

## Run the 48-hour hub-closure scenario on the US grocery network; report in reports/demo/.
demo: $(STAMP)
	$(BIN)/twin run scenarios/us-hub-closure-48h.yaml --out reports/demo --overwrite

## The default test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest

## Long-running suites (marked slow).
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

## Regenerate docs/validation.md (long horizons).
validation: $(STAMP)
	$(BIN)/python -m benchmarks.validation

## Regenerate the generated reference docs.
docs: $(STAMP)
	$(BIN)/python -m twin.reports.columns > docs/reports.md
	$(BIN)/python -m twin.schema.reference > docs/file-reference.md

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
