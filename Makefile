# chaosbench: `make test` and `make bench` set everything up on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
CB     := $(VENV)/bin/chaosbench
STAMP  := $(VENV)/.installed
# torch is pinned to the CPU build through this constraints file (see README).
CONSTRAINTS := .ci/constraints.txt
SWEEP  ?= default
# The test extras plus the optional engines, so `make test` exercises the pretrained adapters and
# the Ray launcher too (EXTRAS=test for a lean install).
EXTRAS ?= test,foundation,cluster

.PHONY: install foundation test test-all bench leaderboard report catalogue tune reproduce clean

install: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e ".[$(EXTRAS)]"
	touch $(STAMP)

# The pretrained (zero-shot) forecasters' libraries: the `foundation` extra (about 150 MB,
# mostly transformers), through the same constraints file so torch stays the CPU build.
foundation: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e ".[test,foundation]"

# `make test`: the fast tier, every test but the `slow`, `integration` and `exhaustive` ones, on
# two pytest workers (about a minute on an idle 2-core machine; checks over every forecaster or
# system run on a representative sample, tests/tiers.py). `make test TIER=all` adds the
# exhaustive cases and the integration tests (the console script in subprocesses, killed sweeps,
# a built wheel, a real browser, Slurm and Ray); it is what CI runs, after starting those
# services. `make test-all` adds `slow` too.
TIER    ?= fast
WORKERS ?= 2
ifeq ($(TIER),all)
MARKERS := not slow
else
MARKERS := not slow and not integration and not exhaustive
endif

test: $(STAMP)
	$(PY) -m pytest -q -n $(WORKERS) --dist loadgroup -m "$(MARKERS)"

test-all: $(STAMP)
	$(PY) -m pytest -q -n $(WORKERS) --dist loadgroup

# The default sweep on two warm workers (chaosbench's parallel launcher), then the leaderboard.
bench: $(STAMP)
	$(CB) bench -m sweep=$(SWEEP) hydra/launcher=parallel hydra.launcher.n_jobs=2
	$(CB) leaderboard sweep_name=$(SWEEP)

leaderboard: $(STAMP)
	$(CB) leaderboard sweep_name=$(SWEEP)

# The sweep's static HTML report: results/$(SWEEP)/report/index.html, figures as PNG and SVG.
report: $(STAMP)
	$(CB) report $(SWEEP)

# Recompute every system's invariants (resumable, parallel), then the README's system table.
catalogue: $(STAMP)
	$(CB) catalogue recompute --jobs 2
	$(CB) catalogue --readme

# Per-system tuning of the cheap published rows under gilpin2023 (resumable: results/tuning/),
# written to conf/tuned_values/gilpin2023/; then our medians beside the published ones (Gilpin 2023).
SYSTEMS ?= subset
ROWS    ?= cheap
TUNED   ?= tuned
JOBS    ?= 2
TUNE_ROWS ?= paper/linear_regression paper/nvar1 paper/esn paper/random_forest paper/xgboost

tune: $(STAMP)
	for row in $(TUNE_ROWS); do $(CB) tune forecaster=$$row systems=$(SYSTEMS) jobs=$(JOBS) || exit $$?; done

reproduce: $(STAMP)
	$(CB) reproduce rows=$(ROWS) systems=$(SYSTEMS) tuned=$(TUNED) jobs=$(JOBS)

clean:
	rm -rf $(VENV) build *.egg-info
