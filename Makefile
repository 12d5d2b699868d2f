# redmine-sync: `make demo` and `make test` set everything up themselves on a fresh Debian 12.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CONFIG := config.example.yaml

.DEFAULT_GOAL := help
.PHONY: help install redmine redmine-down redmine-reset demo test unit integration lint bench-engine bench-screening clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml scripts/ensure-python
	scripts/ensure-python $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the tool with test and lint tools (and a CJK font for charts)
	@scripts/ensure-fonts

redmine:  ## install (first time) and start the local Redmine 5.0 on 127.0.0.1:3101
	scripts/redmine-local up

redmine-down:  ## stop the local Redmine
	scripts/redmine-local down

redmine-reset:  ## put the local Redmine back to its clean baseline
	scripts/redmine-local reset

demo: install redmine  ## local Redmine + demo data + doctor + validate + plan + apply + SLA + wiki reports
	@eval "$$(scripts/redmine-local env)" && \
	  $(BIN)/python scripts/seed-demo && \
	  echo && echo "== redmine-sync doctor" && \
	  $(BIN)/redmine-sync --config $(CONFIG) doctor && \
	  echo && echo "== redmine-sync validate (the playbook's rule pack in rules/)" && \
	  $(BIN)/redmine-sync --config $(CONFIG) validate --online && \
	  $(BIN)/redmine-sync --config $(CONFIG) test-rules | tail -1 && \
	  echo && echo "== redmine-sync plan (what the rules would change; nothing is written)" && \
	  $(BIN)/redmine-sync --config $(CONFIG) plan --project demo && \
	  echo && echo "== redmine-sync apply --yes (the demo writes the plan; normally check it first)" && \
	  $(BIN)/redmine-sync --config $(CONFIG) apply --yes --format json | tail -8 && \
	  echo && echo "== redmine-sync issues (Redmine after apply)" && \
	  $(BIN)/redmine-sync --config $(CONFIG) issues --project demo && \
	  echo && echo "== redmine-sync sla --at-risk (SLA clocks in business time, from the journals)" && \
	  $(BIN)/redmine-sync --config $(CONFIG) sla --at-risk --limit 10 && \
	  echo && echo "== redmine-sync report ... --publish (wiki pages)" && \
	  for r in weekly kpi customers monthly quarterly; do \
	    $(BIN)/redmine-sync --config $(CONFIG) report $$r --publish | head -1 || exit 1; done && \
	  echo && echo "== redmine-sync history" && \
	  $(BIN)/redmine-sync --config $(CONFIG) history --limit 3 && \
	  echo && echo "Why a decision? $(BIN)/redmine-sync --config $(CONFIG) explain N   SLA timeline: ... sla N   Undo: ... undo RUN" && \
	  echo && echo "Open $$REDMINE_URL/projects/demo/issues in a browser;" \
	    "log in as admin / redmine-sync-admin (staff users: password redmine-sync-demo)."

lint: install  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

unit: install  ## fast tests only (no Redmine needed)
	$(BIN)/pytest -m "not integration"

integration: install redmine  ## tests against the real local Redmine only
	$(BIN)/pytest -m integration

test: install redmine lint  ## everything: lint, unit and integration tests (never skipped)
	$(BIN)/pytest

bench-engine: install  ## rule engine throughput on the shipped pack (appends to bench/RESULTS.md)
	$(BIN)/python bench/engine.py

bench-screening: install  ## screening precision/recall/F1 on the labeled corpus (adds to bench/RESULTS.md)
	$(BIN)/python bench/screening/measure.py

clean:  ## remove the virtualenv and caches (the local Redmine stays; see redmine-down)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info

# End-to-end benchmark on the local Redmine (bench/run.py): seeds the project `bench`
# (10,000 issues), measures, appends a dated table to bench/RESULTS.md. Extra arguments:
# make bench BENCH_ARGS="--issues 2000 --repeat 1"
BENCH_ARGS ?=
.PHONY: bench
bench: install redmine  ## end-to-end benchmark on the local Redmine, about 15 min (appends to bench/RESULTS.md)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
