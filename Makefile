# The two commands of the README. Each sets up whatever is missing first: Debian packages
# (fonts, Pango, poppler, qpdf), the virtual environment and the project itself.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Fonts for every script we print, the text stack WeasyPrint needs, the press's CMYK profile
# (libgs-common), poppler and qpdf (previews and preflight), and zbar to read QR codes in tests.
SYSTEM_PACKAGES := fonts-noto-core fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 \
	libharfbuzz-subset0 libgs-common poppler-utils qpdf zbar-tools

.PHONY: brochures test system lint clean

brochures: $(STAMP)
	$(PY) cli.py build

test: $(STAMP)
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
	    echo "Installing system packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "Missing system packages:$$missing" >&2; \
	    echo "Install them with:" >&2; \
	    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing" >&2; \
	    exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml | system
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf out .pytest_cache .ruff_cache
	find locales -name '*.mo' -delete
