# The README's two commands, `make demo` and `make test`, do everything on a fresh machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard src/vinculo/locale/*/LC_MESSAGES/messages.po))
CODE := src tests $(wildcard benchmarks)
PYTEST_WORKERS ?= auto

.PHONY: install demo test lint typecheck pytest bench lock messages clean

install: $(STAMP) $(CATALOGS)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics --use-fuzzy -i $< -o $@

demo: install
	$(BIN)/vinculo db upgrade
	$(BIN)/vinculo demo
	$(BIN)/vinculo serve

lint: install
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/ruff check $(CODE)
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

pytest: install
	@./scripts/ensure-chromium
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: lint typecheck pytest

# Member search (a million members) and the feed (100,000 members, 5,000,000 posts) are timed on
# PostgreSQL only: they run when VINCULO_BENCH_POSTGRES_URL names a server, each in a database of
# its own there, loaded once (--keep).
bench: install
	@./scripts/ensure-wrk
	@set -e; for bench in benchmarks/*.py; do \
		[ -e "$$bench" ] || { echo "no benchmarks yet"; break; }; \
		case "$$bench" in benchmarks/search.py|benchmarks/feed.py) continue;; esac; \
		echo "== $$bench"; $(BIN)/python "$$bench"; \
	done
	@if [ -n "$$VINCULO_BENCH_POSTGRES_URL" ]; then \
		echo "== benchmarks/search.py"; $(BIN)/python benchmarks/search.py --keep; \
		echo "== benchmarks/feed.py"; $(BIN)/python benchmarks/feed.py --keep; \
	else \
		echo "(benchmarks/search.py and benchmarks/feed.py need PostgreSQL: set VINCULO_BENCH_POSTGRES_URL.)"; \
	fi

# Re-pin every package after changing the dependencies in pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv

# Re-extract the translatable strings and merge them into every catalog.
messages: install
	$(BIN)/pybabel extract --no-location --sort-output -k N_ -F babel.cfg -o src/vinculo/locale/messages.pot src
	$(BIN)/pybabel update --no-fuzzy-matching -i src/vinculo/locale/messages.pot -d src/vinculo/locale

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
