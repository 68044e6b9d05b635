PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install init test test-sqlite test-postgres lint bench texts clean

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "python3.11 not found: install Python 3.11"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

init: $(STAMP)
	$(BIN)/daman init
	$(BIN)/daman demo

run: init
	$(BIN)/daman serve --host $(HOST) --port $(PORT)

# The whole suite: always on SQLite, and on PostgreSQL too when DAMAN_TEST_DATABASE_URL is set.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks migrations
	$(BIN)/ruff format --check src tests benchmarks migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

# The browser tests, saving the README's pictures under docs/screenshots/.
screenshots: $(STAMP)
	DAMAN_SCREENSHOTS=1 $(BIN)/python -m pytest -p no:cacheprovider tests/web

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The catalogue of texts (src/daman/translations): extract the marked messages into
# messages.pot and update the ar, fr and en catalogues; a new English message gets its id
# as text. Then fill the new (empty) msgstr entries of ar and fr: tests/core/test_i18n.py
# fails while one is missing.
CATALOGUES := src/daman/translations
texts: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k Text -c TRANSLATORS: --no-location \
		--project=Daman -o $(CATALOGUES)/messages.pot .
	$(BIN)/pybabel -q update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) --ignore-obsolete --no-fuzzy-matching
	$(BIN)/python -c 'from daman.core.i18n import fill_source; fill_source()'

clean:
	rm -rf $(VENV) daman.db var .pytest_cache .mypy_cache .ruff_cache
