# The two commands a newcomer needs are `make run` and `make test`; everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# The local PostgreSQL that `make test` also runs the suite against; `.ci/run` sets it explicitly.
export DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint typecheck pytest openapi lock bench clean install

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/ecolabel-registry migrate
	$(BIN)/ecolabel-registry serve --host $(HOST) --port $(PORT)

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile

openapi: $(STAMP)
	$(BIN)/ecolabel-registry openapi > openapi/openapi.json
	$(BIN)/ecolabel-registry schemas --out openapi/schemas

# Performance figures beside this machine's own limits (BENCHMARKS.md); BENCH_ARGS passes options,
# e.g. `make bench BENCH_ARGS="--only log.proof --backend sqlite --json var/bench.json"`.
.PHONY: bench-quick
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks --quick $(BENCH_ARGS)

# Re-resolve every dependency to its newest version and pin the result.
lock:
	rm -rf /tmp/ecolabel-lock && $(PYTHON) -m venv /tmp/ecolabel-lock
	/tmp/ecolabel-lock/bin/pip install --quiet -e '.[dev]'
	( echo '# Pinned versions for reproducible installs: `make lock` regenerates this file from a fresh resolve.'; \
	  /tmp/ecolabel-lock/bin/pip freeze --exclude-editable ) > constraints.txt

clean:
	rm -rf $(VENV) var/*.sqlite3 .mypy_cache .ruff_cache .pytest_cache .hypothesis
