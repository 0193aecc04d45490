# Every target bootstraps the environment itself: a fresh machine needs only python3.11.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: install run test test-unit lint bench asyncapi model dev-up dev-down clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet uv==$(UV_VERSION)

$(BIN)/heed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

install: $(BIN)/heed

run: install
	$(BIN)/heed demo

test: install
	$(BIN)/pytest -q

test-unit: install
	$(BIN)/pytest -q tests/unit

lint: install
	$(BIN)/ruff check libs services tests
	$(BIN)/mypy libs services

bench: install
	$(BIN)/heed bench --mentions 20000
	$(BIN)/heed classifier bench

asyncapi: install
	$(BIN)/heed asyncapi --out docs/asyncapi.json

dev-up: install
	$(BIN)/heed dev up

dev-down: install
	$(BIN)/heed dev down

clean:
	rm -rf .heed
