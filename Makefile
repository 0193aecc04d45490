# Every target bootstraps the environment itself: a fresh machine needs only python3.11.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install lock run test test-unit lint bench model asyncapi dev-up dev-down clean browser

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet uv==$(UV_VERSION)

# requirements.lock pins every package with its hashes (make lock regenerates it)
$(BIN)/heed: $(UV) pyproject.toml requirements.lock
	test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

lock: $(UV)
	$(UV) pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 --no-header \
		--quiet -o requirements.lock

install: $(BIN)/heed

run: install
	$(BIN)/heed demo --serve

# The browser tests drive Debian's chromium through Playwright (never a downloaded browser); the
# fonts render the verification page's Chinese and Thai. Installed with apt-get only when missing,
# the package lists refreshed only when the install cannot find a package.
BROWSER_PACKAGES := chromium fonts-noto-cjk fonts-thai-tlwg
SUDO := $(shell test "$$(id -u)" -eq 0 || echo sudo)
browser:
	@missing="$$(for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done)"; \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get install -y --no-install-recommends $$missing \
			|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $$missing; }; \
	fi
	@command -v chromium >/dev/null

test: install browser
	$(BIN)/pytest -q

test-unit: install
	$(BIN)/pytest -q tests/unit

lint: install
	$(BIN)/ruff check libs services tests
	$(BIN)/mypy libs services tests

bench: install
	$(BIN)/heed bench --mentions 20000
	$(BIN)/heed bench --mentions 20000 --rate 1000
	$(BIN)/heed bench --classifier --mentions 20000
	$(BIN)/heed bench --webhooks

# The shipped classifier model: only datasets whose licences allow it (see NOTICE) and the team's examples.
SHARED_DATA ?= ../shared/data
model: install
	$(BIN)/python -m heed_classifier.training_data.compose_zh
	$(BIN)/python -m heed_classifier.training_data.compose_en
	$(BIN)/heed classifier train --version lin-5 --out services/classifier/heed_classifier/model --data \
		$(SHARED_DATA)/th_wisesight_sentiment.csv $(SHARED_DATA)/en_bitext_customer_service_synthetic.csv \
		$(SHARED_DATA)/en_tweeteval_sentiment.csv services/classifier/heed_classifier/training_data/team_examples.csv \
		services/classifier/heed_classifier/training_data/team_examples_zh.csv \
		services/classifier/heed_classifier/training_data/team_examples_en.csv

asyncapi: install
	$(BIN)/heed asyncapi --out docs/asyncapi.json

dev-up: install
	$(BIN)/heed dev up

dev-down: install
	$(BIN)/heed dev down

clean:
	rm -rf .heed
