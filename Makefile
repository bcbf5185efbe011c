# The two commands a newcomer needs are `make run` and `make test`; everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# The local PostgreSQL that `make test` also runs the suite against; `.ci/run` sets it explicitly.
export DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint typecheck pytest openapi examples lock bench clean install browser layout interop

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/ecolabel-registry migrate
	$(BIN)/ecolabel-registry demo
	@echo "console: http://$(HOST):$(PORT)/console/   API documentation: http://$(HOST):$(PORT)/docs"
	$(BIN)/ecolabel-registry serve --host $(HOST) --port $(PORT)

# The production layout on this machine (docs/DEPLOYMENT.md): LAYOUT_SERVE API processes on consecutive
# ports from PORT, the worker (webhooks and witnessing), and LAYOUT_WITNESSES witnesses on the next ports,
# each with its own key and state in var/witnesses/, on the local PostgreSQL database LAYOUT_DATABASE_URL
# (created if missing, migrated, demo world loaded), with LAYOUT_REPLICAS hot standbys of the local cluster
# (pg_createcluster + pg_basebackup, ports 5433…) serving reads, dropped again on exit. Ctrl-C stops every process.
LAYOUT_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/ecolabel
LAYOUT_SERVE ?= 2
LAYOUT_WITNESSES ?= 2
LAYOUT_REPLICAS ?= 0
layout: $(STAMP)
	mkdir -p var
	ECOLABEL_DATABASE_URL=$(LAYOUT_DATABASE_URL) $(BIN)/ecolabel-registry layout --serve $(LAYOUT_SERVE) \
		--worker --witnesses $(LAYOUT_WITNESSES) --replica $(LAYOUT_REPLICAS) --host $(HOST) --port $(PORT) \
		--create-database --demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Whole files go to two workers in the order tests/conftest.py gives them, files with a `slow` test first
# (xdist would otherwise hand them out by number of tests, and a long file with few tests would come last).
pytest: $(STAMP) browser interop
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder

# openapi-typescript and tsc at the versions package-lock.json pins, for the client-generation test
# (tests/interop); `npm ci` installs exactly the lock file, and again whenever it changes.
INTEROP := tests/interop
NODE_STAMP := $(INTEROP)/node_modules/.installed
$(NODE_STAMP): $(INTEROP)/package.json $(INTEROP)/package-lock.json
	npm ci --prefix $(INTEROP) --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

# openapi-python-client, pinned in tests/interop/python-generator.txt, in a virtual environment of its
# own: it requires an older typer than the project uses, and a test tool must not pin the product.
GENERATOR := $(VENV)/generator
GENERATOR_STAMP := $(GENERATOR)/.installed
$(GENERATOR_STAMP): $(INTEROP)/python-generator.txt
	test -x $(GENERATOR)/bin/python || $(PYTHON) -m venv $(GENERATOR)
	$(GENERATOR)/bin/python -m pip install --quiet -r $(INTEROP)/python-generator.txt
	touch $(GENERATOR_STAMP)

interop: $(NODE_STAMP) $(GENERATOR_STAMP)

# The console's browser tests drive Debian's chromium through Playwright's system-executable mode; never
# `playwright install` (no browser is downloaded). fonts-noto-cjk renders the Chinese interface text;
# graphviz's `dot` proves the supply-chain DOT export renders.
browser:
	command -v chromium >/dev/null && command -v dot >/dev/null && fc-list | grep -q "Noto Sans CJK" || \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk graphviz)

# A long schemathesis campaign over every operation, on SQLite and PostgreSQL, with a fresh seed each run;
# `make test` runs a short one with a fixed seed. FUZZ_EXAMPLES sets examples per operation.
FUZZ_EXAMPLES ?= 500
.PHONY: fuzz reliability-large
fuzz: $(STAMP)
	ECOLABEL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ECOLABEL_FUZZ_SEED=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ') \
		$(BIN)/pytest tests/reliability/test_schema_fuzzing.py -p no:cacheprovider -n 2

# The concurrency and crash tests at the issue's size: 20,000 certificates, 16 clients (docs/TESTING.md).
reliability-large: $(STAMP)
	ECOLABEL_RELIABILITY_SCALE=large $(BIN)/pytest tests/reliability/test_concurrent_ingestion.py \
		tests/reliability/test_crash_recovery.py -p no:cacheprovider

openapi: $(STAMP)
	$(BIN)/ecolabel-registry openapi > openapi/openapi.json
	$(BIN)/ecolabel-registry schemas --out openapi/schemas

# Record the API's examples again from a fresh registry (tests/interop/example_story.py), after an API
# change, and regenerate the contract that shows them.
examples: $(STAMP)
	$(BIN)/python -m tests.interop.example_story
	$(MAKE) openapi

# Performance figures beside this machine's own limits (BENCHMARKS.md); BENCH_ARGS passes options,
# e.g. `make bench BENCH_ARGS="--only log.proof --backend sqlite --json var/bench.json"`.
.PHONY: bench-quick
# The HTTP figures load the server from Debian's wrk, in its own process (installed here when missing); the
# paced p99 uses the same wrk with a LuaJIT script (benchmarks/lua/paced_paths.lua), no other load generator.
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) || \
	  (echo "make bench needs Debian's wrk, the HTTP load generator: apt-get install wrk" >&2; exit 1)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-quick: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) || \
	  (echo "make bench needs Debian's wrk, the HTTP load generator: apt-get install wrk" >&2; exit 1)
	$(BIN)/python -m benchmarks --quick $(BENCH_ARGS)

# The event loop's instructions per single submission, in process, under valgrind (BENCHMARKS.md, Method);
# `make profile-submission PROFILE_ARGS="--cprofile 40"` prints its CPU time and the loop's busiest functions.
PROFILE_ARGS ?= --callgrind
.PHONY: profile-submission
profile-submission: $(STAMP)
	$(BIN)/python -m benchmarks.profile_submission $(PROFILE_ARGS)

# Instructions per request of the recognition answers and the app floor, in process, under valgrind
# (BENCHMARKS.md, Method); `make profile-answers ANSWERS_ARGS="--cprofile 40"` prints CPU time and top functions.
ANSWERS_ARGS ?= --callgrind
.PHONY: profile-answers
profile-answers: $(STAMP)
	$(BIN)/python -m benchmarks.profile_answers $(ANSWERS_ARGS)

# Re-resolve every dependency to its newest version and pin the result.
lock:
	rm -rf /tmp/ecolabel-lock && $(PYTHON) -m venv /tmp/ecolabel-lock
	/tmp/ecolabel-lock/bin/pip install --quiet -e '.[dev]'
	( echo '# Pinned versions for reproducible installs: `make lock` regenerates this file from a fresh resolve.'; \
	  /tmp/ecolabel-lock/bin/pip freeze --exclude-editable ) > constraints.txt

clean:
	rm -rf $(VENV) var/*.sqlite3 .mypy_cache .ruff_cache .pytest_cache .hypothesis $(INTEROP)/node_modules
