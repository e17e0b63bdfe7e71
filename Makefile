# One command for each task. `make demo` and `make test` install everything they need first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-sqlite test-postgres lint bench eval clean

$(STAMP): pyproject.toml constraints.txt scripts/install-system-deps.sh
	./scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/kuzet demo

# SQLite always; PostgreSQL too when KUZET_TEST_DATABASE_URL names one (.ci/run sets it).
test: $(STAMP)
	env -u KUZET_TEST_DATABASE_URL $(BIN)/pytest -q
	@if [ -n "$$KUZET_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$KUZET_TEST_DATABASE_URL)"; \
		$(BIN)/pytest -q -m "not browser"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install -q -c constraints.txt -e ".[dev,bench]"
	$(BIN)/python bench/run_all.py

eval: $(STAMP)
	$(BIN)/python bench/eval.py

clean:
	rm -rf $(VENV) kuzet-data .pytest_cache .mypy_cache .ruff_cache
