# chaosbench: `make test` and `make bench` set everything up on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# torch is pinned to the CPU build through this constraints file (see README).
CONSTRAINTS := .ci/constraints.txt
SWEEP  ?= default

.PHONY: install test test-all bench leaderboard catalogue clean

install: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e ".[test]"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

test-all: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) runners/catalogue.py

catalogue: $(STAMP)
	$(PY) runners/catalogue.py

clean:
	rm -rf $(VENV) build *.egg-info
