# Two entry points, both self-installing on a fresh machine (Python 3.11):
#   make run    # the whole workflow on the embedded default config.yaml
#   make test   # the test suite (what CI runs)
VENV   := .venv
PY     := $(VENV)/bin/python
# the stamp names a hash of every file the environment is installed from: editing one reinstalls
REQS   := requirements.txt requirements-test.txt pyproject.toml
STAMP  := $(VENV)/.installed-$(shell cat $(REQS) | sha256sum | cut -c1-12)
CORES  ?= all

.PHONY: run test env clean-results

env: $(STAMP)

$(STAMP): $(REQS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-test.txt
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -c "from identifiability.synthetic.model import cpu_kernels; cpu_kernels()"
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(VENV)/bin/snakemake --cores $(CORES)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

clean-results:
	@echo "results are never deleted by make; remove results/ yourself if you mean it"
