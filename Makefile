# carecase: two commands get you going. `make demo` and `make test` each create .venv
# and install the pinned dependencies (requirements/constraints.txt) when missing or stale.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.carecase-installed
DEMO_DIR ?= demo
DEMO_PEOPLE ?= 4000
DEMO_SEED ?= 20240401
# pytest-xdist workers: the CPUs this process may use, at least 2 and at most 4 (Spark and
# the end-to-end area each keep one worker busy; more than 4 mostly wait on them)
WORKERS ?= $(shell $(PY) -c "import os; n = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 2); print(max(2, min(4, n)))" 2>/dev/null || echo 2)

.PHONY: demo test test-fast test-explore bench evaluate-seeds lint venv browser clean docs

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e ".[spark,web,dev]"
	$(BIN)/python -c "import carecase, ibis, duckdb, splink, sqlglot; print('carecase installed; sqlglot', sqlglot.__version__)"
	@touch $(STAMP)

venv: $(STAMP)

# Headless Chromium (Debian's package) for the report's browser test and the PDF.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "Installing Debian's chromium for the report tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || \
	    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || \
	    echo "WARNING: could not install chromium; browser tests will fail"; }

demo: $(STAMP)
	$(BIN)/carecase demo $(DEMO_DIR) --people $(DEMO_PEOPLE) --seed $(DEMO_SEED)

test: $(STAMP) browser
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup -q

# Property tests with fresh random examples (make test uses the same examples every run).
test-explore: $(STAMP)
	HYPOTHESIS_PROFILE=explore $(BIN)/python -m pytest -n $(WORKERS) -q -m "not spark and not browser and not slow" --ignore=tests/e2e

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) -q -m "not spark and not browser and not slow"

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

# The evaluation against the synthetic truth on twelve seeds (about 25 s each once prepared).
evaluate-seeds: $(STAMP)
	$(BIN)/python -m benchmarks.evaluate_seeds

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/carecase

docs: $(STAMP)
	$(BIN)/carecase schema --markdown > docs/configuration.md

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
