# The two entry points of the README: `make run` and `make test`. Both create the virtualenv
# and build the engine first, so they work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ENGINE_SOURCES := $(wildcard engine_ext/*.pyx engine_ext/*.pxd)

.PHONY: run test bench check install protos clean

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dev]'
	touch $(STAMP)

# Rebuild the compiled book whenever its sources change.
engine_ext/.built: $(STAMP) $(ENGINE_SOURCES) setup.py
	$(PY) setup.py -q build_ext --inplace
	touch $@

install: engine_ext/.built

run: install
	$(PY) -m services.launcher $(if $(filter 0,$(DEMO)),--no-demo,) $(if $(BACKEND),--backend $(BACKEND),)

# The suite talks to real Redis, Kafka and DynamoDB servers: devservers uses the ones
# SPOTEX_REDIS_URL / SPOTEX_KAFKA_BOOTSTRAP / SPOTEX_DYNAMODB_ENDPOINT name, starts the rest on
# free ports on 127.0.0.1, and stops what it started when the tests end.
test: install
	$(PY) -m services.devservers -- $(PY) -m pytest -q $(PYTEST_ARGS)

bench: install
	$(PY) -m pytest benchmarks -q --benchmark-only --benchmark-columns=min,median,mean,ops,rounds \
		--benchmark-sort=name $(PYTEST_ARGS)

check: install
	$(PY) -m ruff check .
	$(PY) -m mypy engine_ext services edge

protos: $(STAMP)
	$(PY) scripts/gen_protos.py

clean:
	rm -rf build engine_ext/*.so engine_ext/*.cpp engine_ext/*.html engine_ext/.built
