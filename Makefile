# The README's commands. Everything sets itself up: a fresh machine needs only python3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export RUNTIME__DLTHUB_TELEMETRY := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_DISABLE_TELEMETRY := 1
export UV_COMPILE_BYTECODE := 1

.PHONY: install test demo dagster bench lint clean
HOST ?= 127.0.0.1
PORT ?= 3000

$(BIN)/zoho-pipeline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e '.[test]'
	touch $@

install: $(BIN)/zoho-pipeline

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The main job: simulator -> OAuth connect -> import through Dagster into data/warehouse.duckdb.
demo: install
	$(BIN)/zoho-pipeline demo

# The Dagster UI on the same home as `make demo` (data/dagster), with the schedule daemon.
dagster: install
	DAGSTER_HOME=$$($(BIN)/python -m zoho_pipeline.dagster_home) $(BIN)/dagster dev -w workspace.yaml -h $(HOST) -p $(PORT)

# Speed and memory figures (1,000,000-record org; several minutes each).
bench: install
	$(BIN)/python bench/simulator.py
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/transform.py

lint: install
	$(BIN)/ruff check zoho_pipeline tests bench

clean:
	rm -rf $(VENV) data/*.duckdb data/dagster data/pipelines
