# Mittari: the two commands a fresh machine needs are `make demo` and `make test`.
# Each creates its own virtualenv from pyproject.toml; nothing is installed by hand.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest fuzz bench bench-api services services-stop screenshots clean

$(STAMP): pyproject.toml deploy/local/system-packages.sh
	deploy/local/system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## generate a 50,000-event city, ingest, publish and serve it on http://127.0.0.1:8000/
	$(BIN)/mittari demo

test: lint typecheck pytest  ## ruff, mypy and the whole test suite

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

fuzz: $(STAMP)  ## schemathesis: at least 10,000 generated API requests; prints the count and every kind of failure
	$(BIN)/python -m tests.api.fuzz_api --requests 10000

bench: $(STAMP)  ## end-to-end ingest throughput, embedded backends
	$(BIN)/mittari bench ingest --events 200000

bench-api: $(STAMP)  ## open-loop load on the served API on the 50,000-event demo (README, Performance)
	test -f data/demo/index.sqlite || $(BIN)/mittari demo --no-serve --events 50000
	$(BIN)/mittari --data-dir data/demo bench api --rate 50,100,200 --duration 10

services:  ## fetch (first time) and start real Kafka, Elasticsearch and CKAN on 127.0.0.1
	deploy/local/services.sh start

screenshots: $(STAMP)  ## docs/*.png from the demo city in headless Chromium
	$(BIN)/python docs/screenshots.py

services-stop:
	deploy/local/services.sh stop

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
