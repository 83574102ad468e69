# `make run`  sets everything up in .venv and starts the browser chat.
# `make test` sets everything up (including Debian's chromium) and runs the tests.
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export HF_HUB_OFFLINE := 1

.PHONY: setup run test evals bench chromium clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first, pinned: any other version pulls GBs of CUDA wheels.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[test,evals]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) app.py

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: setup chromium
	$(PY) -m pytest -q

evals: setup
	$(PY) -m evals

clean:
	rm -rf index/*/ evals/out test-artifacts
