# redmine-sync: `make demo` and `make test` set everything up themselves on a fresh Debian 12.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CONFIG := config.example.yaml
DEMO_DIR ?= $(HOME)/.local/state/redmine-sync
# Every command of a recipe counts, also on the left of a pipe.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

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

demo: install redmine  ## local Redmine + 10 weeks of history + doctor + validate + plan + apply + SLA + wiki reports
	@eval "$$(scripts/redmine-local env)" && \
	  echo "== scripts/build-history (10 weeks of customer requests, back-dated, in project demo)" && \
	  mkdir -p $(DEMO_DIR) && \
	  $(BIN)/python scripts/build-history --project demo --replace --events $(DEMO_DIR)/demo-history.json && \
	  echo && echo "== redmine-sync doctor (exit 5 = nothing failed, but the bot's key could not check all)" && \
	  { $(BIN)/redmine-sync --config $(CONFIG) doctor || [ $$? -eq 5 ]; } && \
	  echo && echo "== redmine-sync validate --online (the playbook's rule pack in rules/; exit 5 as doctor)" && \
	  { $(BIN)/redmine-sync --config $(CONFIG) validate --online || [ $$? -eq 5 ]; } && \
	  $(BIN)/redmine-sync --config $(CONFIG) test-rules | tail -1 && \
	  echo && echo "== redmine-sync plan --full (what the rules would change; nothing is written)" && \
	  $(BIN)/redmine-sync --config $(CONFIG) plan --project demo --full | tail -1 && \
	  started=$$(date -u +%Y-%m-%dT%H:%M:%SZ) && \
	  echo && echo "== redmine-sync apply --yes --full (the demo writes the plan; normally check it first)" && \
	  $(BIN)/redmine-sync --config $(CONFIG) apply --yes --full --format json | tail -8 && \
	  echo && echo "== redmine-sync issues --since $$started (what apply changed)" && \
	  $(BIN)/redmine-sync --config $(CONFIG) issues --project demo --since $$started && \
	  echo && echo "== redmine-sync sla --at-risk (SLA clocks in business time, from the journals)" && \
	  $(BIN)/redmine-sync --config $(CONFIG) sla --at-risk --limit 10 && \
	  echo && echo "== redmine-sync report ... --publish (the wiki pages to open)" && \
	  for r in weekly kpi customers monthly quarterly; do \
	    $(BIN)/redmine-sync --config $(CONFIG) report $$r --publish || exit 1; done && \
	  echo && echo "== redmine-sync history" && \
	  $(BIN)/redmine-sync --config $(CONFIG) history --limit 3 && \
	  echo && echo "Why a decision? $(BIN)/redmine-sync --config $(CONFIG) explain N   SLA timeline: ... sla N   Undo: ... undo RUN" && \
	  echo "The history's events: $(DEMO_DIR)/demo-history.json; its figures: $(BIN)/python scripts/history/oracle.py $(DEMO_DIR)/demo-history.json --now <time>" && \
	  echo && echo "Open $$REDMINE_URL/projects/demo/wiki/Reports and $$REDMINE_URL/projects/demo/issues in a browser;" \
	    "log in as admin / redmine-sync-admin (staff users: password redmine-sync-demo)."

lint: install  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

unit: install  ## fast tests only (no Redmine needed)
	$(BIN)/pytest -m "not integration"

integration: install redmine  ## tests against the real local Redmine only
	$(BIN)/pytest -m integration

test: install redmine lint  ## everything: lint, unit and integration tests (never skipped)
	BIN=$(BIN) scripts/run-tests --durations=10

bench-engine: install  ## rule engine throughput on the shipped pack (appends to bench/RESULTS.md)
	$(BIN)/python bench/engine.py

bench-screening: install  ## screening precision/recall/F1 on the labeled corpus (adds to bench/RESULTS.md)
	$(BIN)/python bench/screening/measure.py

clean:  ## remove the virtualenv and caches (the local Redmine stays; see redmine-down)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info

# `make bench`: issue 18's targets in one run of bench/compare.py, the code of BENCH_OLD
# (issue 18's "today") and this tree side by side, BENCH_PAIRS alternating pairs for every
# ratio, within BENCH_BUDGET minutes once the data is ready, in BENCH_LANES lanes: lane 1
# runs the wall-time steps (the local Redmine's, the store's) at this priority and sets
# the local Redmine's to 0; the peak-RSS and CPU-time steps run beside them at nice 10,
# on the CPU they leave (the 2 cores this was sized on: Redmine's thin process takes one
# while lane 1 waits for it, so 2 lanes; BENCH_LANES=1 runs all in turn):
#   apply at BENCH_ISSUES issues on the local Redmine after 50 edits (time, reads per
#   written issue); the cold SLA pass (the journals of 1 issue in 50 read, the listing
#   fetched once for both trees); memory of the first apply (10,000 fake issues) and of
#   plan --full (100,000; the fake Redmine's issues, the local Redmine's project, members
#   and fields); the no-change run's CPU at 10,000 and 100,000 fake issues; the rule engine
#   cold and steady; the store caching 10,000 issues in one transaction.
# A step starts only if its pairs fit in what is left of the budget (never fewer than
# BENCH_PAIRS): one that does not fit is left out and named in the report. The first run
# on a Redmine prepares the data before the budget starts (seeding, the steady state a
# daemon keeps: 10-15 min) and keeps it in BENCH_WORK for the next runs; each run then
# lets old and new settle on it (a minute). Appends a dated section to bench/RESULTS.md.
# Needs a git checkout (the old tree is `git archive BENCH_OLD`, kept in BENCH_WORK).
# The earlier targets (plan --full against raw paging, the naive script, ...) are
# `make bench-commands` (bench/run.py, its own 15-minute budget).
BENCH_ISSUES ?= 10000
BENCH_OLD ?= 526ddc7
BENCH_BUDGET ?= 40
BENCH_PAIRS ?= 3
BENCH_LANES ?= 2
BENCH_WORK ?= $(HOME)/.cache/redmine-sync/bench
BENCH_ARGS ?=
COMPARE_ARGS ?=
.PHONY: bench bench-commands
bench: install redmine  ## issue 18's targets, old and new side by side, 3 pairs each, in BENCH_BUDGET (40) min; appends to bench/RESULTS.md
	@echo "make bench: budget $(BENCH_BUDGET) min, $(BENCH_PAIRS) pairs per ratio, $(BENCH_LANES) lanes, old = $(BENCH_OLD), data kept in $(BENCH_WORK)"
	@old="$(BENCH_WORK)/old-$(BENCH_OLD)" && mkdir -p "$(BENCH_WORK)" && \
	  if [ ! -d "$$old" ]; then rm -rf "$$old.part" && mkdir "$$old.part" && \
	    git archive $(BENCH_OLD) | tar -x -C "$$old.part" && mv "$$old.part" "$$old"; fi && \
	  $(BIN)/python bench/compare.py --old "$$old" --old-label $(BENCH_OLD) \
	    --issues $(BENCH_ISSUES) --budget-minutes $(BENCH_BUDGET) --pairs $(BENCH_PAIRS) \
	    --lanes $(BENCH_LANES) \
	    --work "$(BENCH_WORK)/data" --cold-sample 50 --out "$(BENCH_WORK)/compare.json" \
	    --record $(COMPARE_ARGS)

bench-commands: install redmine  ## earlier targets: each command against raw paging (bench/run.py, 15 min budget)
	$(BIN)/python bench/run.py --issues $(BENCH_ISSUES) $(BENCH_ARGS)
