# grokcheck: set-up, demo, tests and benchmarks.
# Every target creates .venv when missing and installs the project with the
# pinned CPU build of torch first (an unpinned torch pulls GBs of CUDA wheels).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0
JOBS   ?= 2

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/grokcheck demo

# One BLAS/torch thread per pytest worker: two workers x two threads oversubscribe 2 cores
# (measured: 10-fold slow-downs of the linear-algebra-heavy tests).
test: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n $(JOBS) -q tests --doctest-modules perceptron_theory local_rules modular_rfm linear_grokking comparison

bench: $(STAMP)
	$(PY) -m benchmarks.run $(ONLY)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
