# Two commands do all set-up on a fresh machine (README.md):
#   make book   build the website into _build/html
#   make test   run every test: notebook hygiene, the data loader, every notebook under
#               nbval (quick run, each alone in an empty directory) on the TensorFlow
#               and the JAX backend, the site built with warnings as errors and opened
#               in headless Chromium
# Both create .venv and install requirements*.txt into it on first use; `make test`
# also installs the system packages it needs (Graphviz, Chromium) if they are missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: book test install system-deps clean gpu-rehearsal

book: $(INSTALLED)
	$(BIN)/jupyter-book build . --all --warningiserror --keep-going

test: $(INSTALLED) system-deps
	$(BIN)/python -m pytest tests

install: $(INSTALLED)

$(INSTALLED): requirements.txt requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt
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
# (tools/gpu/rehearse.sh; about 5 minutes). Commit first: the clone is of HEAD.
gpu-rehearsal: $(INSTALLED)
	bash tools/gpu/rehearse.sh

clean:
	rm -rf _build .pytest_cache
