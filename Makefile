# Key-Account Credit Workbench. `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lab ui bench lock install clean-state

install: $(STAMP)

# Re-install only when the declared dependencies or the pins change.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,scale]'
	# Papermill runs notebooks on the kernel named `python3`; make that name mean this venv's Python.
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (workbench)"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/workbench demo

# Lint and the architecture contracts first (seconds), then the suite.
# pytest exits 5 when it collects nothing; that is a failure here, not a pass.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lab: $(STAMP)
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter lab --notebook-dir=.

ui: $(STAMP)
	$(BIN)/workbench ui

# Every benchmark (about an hour on 2 cores; the dossier and EWS ones read the demo's model and
# monitoring report, so the demo runs first when they are asked), then benchmarks/results/<date>.json and
# the committed summary benchmarks/RESULTS.md of every result on record.
# A subset: make bench BENCHES="benchmarks/bench_features.py benchmarks/bench_scale.py"
BENCHES ?= $(wildcard benchmarks/bench_*.py)
bench: $(STAMP)
	@case "$(BENCHES)" in *bench_dossiers*|*bench_ews*) $(BIN)/workbench demo ;; esac
	for b in $(BENCHES); do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	$(BIN)/python benchmarks/summarise.py

# Re-resolve the pins after changing dependencies in pyproject.toml.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet --upgrade "pip>=24"
	.lockvenv/bin/python -m pip install --quiet '.[dev,scale]'
	{ echo "# Versions that work together on Python 3.11. Used as pip constraints by the Makefile."; \
	  echo "# Regenerate with \`make lock\` after changing dependencies in pyproject.toml."; \
	  .lockvenv/bin/python -m pip freeze --exclude-editable | grep -v '^workbench'; } > requirements.lock
	rm -rf .lockvenv

clean-state:
	rm -rf mlflow.db mlartifacts data/synthetic experiments/*/
