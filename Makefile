# The two commands of the README. Each sets up whatever is missing first: Debian packages
# (fonts, Pango, poppler, qpdf), the virtual environment and the project itself.

# pipefail: an install filtered through grep must still fail when pip does.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Fonts for every script we print, the text stack WeasyPrint needs, the presses' characterization
# data (icc-profiles-free) and ArgyllCMS to build their ICC profiles, poppler (previews and
# preflight), qpdf and zbar for the tests (an independent structure check, QR codes read
# back), and gettext (msgfmt for translators; msginit, the tests' independent source of plural
# rules).
SYSTEM_PACKAGES := fonts-noto-core fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 \
	libharfbuzz-subset0 icc-profiles-free argyll poppler-utils qpdf zbar-tools gettext \
	chromium chromium-driver
# The ICC profiles of the registered printing conditions (FOGRA39, CGATS TR 006, ...), built
# here from their published data, never downloaded.
PRESS_PROFILES := build/press-profiles/.built

.PHONY: brochures test system lint clean sync lock

brochures: $(STAMP) $(PRESS_PROFILES)
	$(PY) cli.py build

test: $(STAMP) $(PRESS_PROFILES)
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; echo "run 'make sync' to reinstall from requirements.lock" >&2; exit 1; }
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

# Installs missing Debian packages when run as root; otherwise prints the exact command.
system:
	@command -v dpkg-query >/dev/null || { echo "This setup expects Debian or Ubuntu (apt). Install: $(SYSTEM_PACKAGES)" >&2; exit 1; }
	@missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages:$$missing (output in $(LOG_DIR)/apt.log)"; \
	    mkdir -p $(LOG_DIR); \
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; } > $(LOG_DIR)/apt.log 2>&1 \
	      || { tail -20 $(LOG_DIR)/apt.log >&2; echo "apt-get failed; the whole output is in $(LOG_DIR)/apt.log" >&2; exit 1; }; \
	  else \
	    echo "Missing system packages:$$missing" >&2; \
	    echo "Install them with:" >&2; \
	    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing" >&2; \
	    exit 1; \
	  fi; \
	fi

# The venv gets exactly what requirements.lock pins (hash-checked, nothing resolved here), then the
# project itself with no dependencies of its own and no build isolation, so setuptools is the
# locked one too. pip's whole output goes to $(LOG_DIR)/pip.log, shown only when it fails.
LOG_DIR := build/logs
PIP := PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_WARN_SCRIPT_LOCATION=1 $(PY) -m pip
PIP_FAILED := { tail -20 $(LOG_DIR)/pip.log >&2; echo "pip failed; the whole output is in $(LOG_DIR)/pip.log" >&2; exit 1; }
$(STAMP): requirements.lock pyproject.toml | system
	@mkdir -p $(LOG_DIR)
	@test -x $(PY) || { echo "Creating the virtual environment $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the pinned Python packages of requirements.lock (log: $(LOG_DIR)/pip.log)"
	@$(PIP) install --require-hashes --no-deps -r requirements.lock > $(LOG_DIR)/pip.log 2>&1 || $(PIP_FAILED)
	@$(PIP) install --no-deps --no-build-isolation -e . >> $(LOG_DIR)/pip.log 2>&1 || $(PIP_FAILED)
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; exit 1; }
	@touch $(STAMP)

$(PRESS_PROFILES): brochurekit/press.py | system
	@rm -rf $(@D)
	@echo "Building the press ICC profiles (ArgyllCMS) into $(@D)"
	@$(PYTHON) -m brochurekit.press
	@touch $@

# Re-install from the lock (after a `pip install` by hand, say).
sync:
	rm -f $(STAMP)
	$(MAKE) $(STAMP)

# Regenerates requirements.lock from pyproject.toml's ranges, in a throwaway venv so that
# pip-tools never lands in the project's own. See README, "Dependencies".
lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp" && \
	PIP_DISABLE_PIP_VERSION_CHECK=1 "$$tmp/bin/pip" install --quiet "pip-tools>=7.4,<8" 2>&1 | { grep -v "is ignored: it is neither" >&2 || true; } && \
	"$$tmp/bin/pip-compile" --quiet --extra test --build-deps-for editable --generate-hashes \
	  --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file requirements.lock $(LOCK_FLAGS) pyproject.toml 2>&1 | { grep -v "is ignored: it is neither" >&2 || true; }

clean:
	rm -rf out build .pytest_cache .ruff_cache
	find locales -name '*.mo' -delete
