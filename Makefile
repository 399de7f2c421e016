# Two commands do all set-up on a fresh machine (README.md):
#   make book   build the website into _build/html (installs requirements-book.txt
#               only: no Keras backend, no test tools)
#   make test   run every test: notebook hygiene, the data loader, every notebook under
#               nbval (quick run, each alone in an empty directory) on the TensorFlow,
#               JAX and PyTorch backends and once more, uncompared, at Google Colab's
#               versions (.venv-colab, requirements-colab.txt, which are also the lower
#               bounds of requirements.txt), the site built with warnings as errors and
#               opened in headless Chromium
# and one for every commit:
#   make check  the fast gate (under a minute): lint and format, shared cells stamped,
#               stored form, generated tables, and the tests that start no kernel
# Each creates .venv on first use and installs what it needs into it; `make test` also
# creates .venv-colab and installs the system packages it needs (Graphviz, Chromium) if
# they are missing. Python 3.11 or newer: PYTHON=python3.12 make ... picks another.
# MAINTAINING.md says more.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BOOK_INSTALLED := $(VENV)/.installed-book
# The second environment of `make test`: Colab's versions, pinned, on Colab's Python
# (3.13) where this machine has it, else on $(PYTHON).
COLAB := .venv-colab
COLAB_INSTALLED := $(COLAB)/.installed
COLAB_PYTHON ?= $(firstword $(wildcard /usr/bin/python3.13 /usr/local/bin/python3.13 \
                  $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(PYTHON))
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: book test check install install-colab system-deps clean gpu-rehearsal

# The oldest Python the book supports. $(call need_python,INTERPRETER) expands to
# nothing when INTERPRETER is new enough and stops make with one line when it is not;
# it runs where a virtual environment is about to be made.
MIN_PYTHON := 3.11
define need_python
$(if $(shell $(1) -c 'import sys; sys.exit(sys.version_info < ($(subst .,$(comma),$(MIN_PYTHON)),))' \
  >/dev/null 2>&1 && echo ok),,$(error Python $(MIN_PYTHON) or newer is needed, and \
  $(1) is $(or $(shell $(1) --version 2>&1 | grep -o 'Python [0-9.]*'),not a Python \
  that runs): install one and run make $(or $(MAKECMDGOALS),install) \
  PYTHON=python$(MIN_PYTHON)))
endef
comma := ,

# The tests that start no kernel, browser or training: what `make check` runs.
FAST_TESTS := tests/test_hygiene.py tests/test_loader.py tests/test_snippets.py \
              tests/test_runs.py tests/test_run_sizes.py \
              tests/test_tools.py tests/test_jpeg_effect.py tests/test_code_prose.py

book: $(BOOK_INSTALLED)
	$(BIN)/jupyter-book build . --all --warningiserror --keep-going

# Two test processes: one notebook run keeps well under two cores busy (chapter 6 on
# TensorFlow, measured: 264 s of CPU time in 193 s), and much of a run is
# single-threaded (kernel start, imports, JAX compiles, plots), so a second process
# fills the 2-core machine. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2

test: $(INSTALLED) $(COLAB_INSTALLED) system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup tests

check: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/stamp_notebooks.py --check
	$(BIN)/python tools/provenance.py --check
	$(BIN)/python -m pytest -q $(FAST_TESTS)

install: $(INSTALLED)

# Everything: what readers need, what renders the book, what the tests use.
$(INSTALLED): requirements.txt requirements-book.txt requirements-test.txt
	$(call need_python,$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-book.txt \
	  -r requirements-test.txt
	touch $@ $(BOOK_INSTALLED)

# What rendering needs, alone (a fresh clone's `make book`, the Pages workflow); a
# .venv that `make install` filled has it already.
$(BOOK_INSTALLED): requirements-book.txt
	$(call need_python,$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-book.txt
	touch $@

# Colab's versions (requirements-colab.txt), where tests/test_notebooks.py runs every
# notebook once more without comparing outputs. About 2.4 GB, installed once like .venv.
install-colab: $(COLAB_INSTALLED)

$(COLAB_INSTALLED): requirements-colab.txt
	$(call need_python,$(if $(wildcard $(COLAB)/bin/python),$(COLAB)/bin/python,$(COLAB_PYTHON)))
	test -x $(COLAB)/bin/python || $(COLAB_PYTHON) -m venv $(COLAB)
	$(COLAB)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB)/bin/python -m pip install --quiet -r requirements-colab.txt
	touch $@

# Graphviz draws the model diagrams; Chromium is the browser the site test drives.
system-deps:
	@if ! command -v dot >/dev/null || ! test -x /usr/bin/chromium; then \
	  echo "installing graphviz and chromium with apt-get"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends \
	    graphviz chromium fonts-dejavu-core; \
	fi

# Rehearse one GPU window on this CPU from a clean clone of HEAD, in a fresh virtual
# environment holding only what the GPU machine has plus the wheels brought along
# (tools/gpu/rehearse.sh; about 7 minutes). Commit first: the clone is of HEAD.
gpu-rehearsal: $(INSTALLED)
	bash tools/gpu/rehearse.sh

clean:
	rm -rf _build .pytest_cache

# --- Kaggle: a chapter's full experiment on Kaggle's two T4s, unattended ---------------
#   make kaggle-push CHAPTER=06 SIZE=full   push a copy of the chapter with that run
#                   size, private, GPU T4 x2, internet on, a 12-hour limit, the last
#                   version's output attached to resume from
#   make kaggle-pull CHAPTER=06             wait for the version to finish, check its
#                   records, merge them into notebooks/results/ and render the chapter
#                   from them without training; prints what changed
#   make kaggle-rehearsal                   the two-worker rehearsal and the stand-in
#                   Kaggle tests on this CPU (also part of make test)
# The official kaggle CLI lives in .venv-kaggle (requirements-maintainer.txt) and reads
# your credentials where it always does (~/.kaggle/access_token, KAGGLE_API_TOKEN or
# kaggle.json); tools/kaggle_book.py says more.
KAGGLE_VENV ?= .venv-kaggle
KAGGLE_BASE_PYTHON ?= python3
BOOK_PYTHON ?= .venv/bin/python
KAGGLE_TIMEOUT ?= 43200
KAGGLE_POLL ?= 60
KAGGLE_RESULTS ?= notebooks/results
CHAPTER ?=
SIZE ?= full
# The book's environment, made first where the commands run in it (on a fresh clone).
BOOK_ENV = $(if $(filter .venv/bin/python,$(BOOK_PYTHON)),$(INSTALLED))

.PHONY: install-kaggle kaggle-push kaggle-pull kaggle-rehearsal

install-kaggle: $(KAGGLE_VENV)/.installed

$(KAGGLE_VENV)/.installed: requirements-maintainer.txt
	# An environment without pip (one whose making was cut short) is made again.
	$(KAGGLE_VENV)/bin/python -m pip --version >/dev/null 2>&1 || \
	  $(KAGGLE_BASE_PYTHON) -m venv --clear $(KAGGLE_VENV)
	echo '*' > $(KAGGLE_VENV)/.gitignore
	$(KAGGLE_VENV)/bin/python -m pip install --quiet -r requirements-maintainer.txt
	touch $@

kaggle-push: $(KAGGLE_VENV)/.installed | $(BOOK_ENV)
	$(BOOK_PYTHON) tools/kaggle_book.py --kaggle-venv $(KAGGLE_VENV) push \
	  --chapter "$(CHAPTER)" --size "$(SIZE)" --timeout $(KAGGLE_TIMEOUT)

kaggle-pull: $(KAGGLE_VENV)/.installed | $(BOOK_ENV)
	$(BOOK_PYTHON) tools/kaggle_book.py --kaggle-venv $(KAGGLE_VENV) pull \
	  --chapter "$(CHAPTER)" --python $(BOOK_PYTHON) --poll $(KAGGLE_POLL) \
	  --results $(KAGGLE_RESULTS)

kaggle-rehearsal: $(KAGGLE_VENV)/.installed | $(BOOK_ENV)
	$(BOOK_PYTHON) -m pytest -q -s tests/test_kaggle.py tests/test_kaggle_workers.py
