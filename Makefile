# Two commands on a fresh Debian machine, as root:  make run   |   make test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages: OCR of fax scans (Lithuanian data), a real IMAP server for the tests, PDF rendering, the
# Unicode font embedded in Sutikimas documents, and venv support for the system Python.
DEBS := tesseract-ocr tesseract-ocr-lit dovecot-imapd poppler-utils fonts-dejavu-core openssl

.PHONY: run test bench system venv seed clean

run: system venv
	$(BIN)/python -m ingest.demo var/inbox
	$(BIN)/itpc poll --once
	$(BIN)/itpc requests
	$(BIN)/itpc ledger verify

test: system venv
	$(BIN)/pytest -q

bench: system venv
	$(BIN)/python -m bench.ledger
	$(BIN)/python -m bench.ocr
	$(BIN)/python -m bench.pipeline
	@if [ -f bench/imap_poll.py ]; then $(BIN)/python -m bench.imap_poll; fi
	$(BIN)/python -m bench.review --requests 1000     # writers (tick, decide, requeue, poll one) vs note, RSS
	$(BIN)/python -m bench.review --requests 10000
	$(BIN)/python -m bench.review --requests 100000   # also run start, verify of what is new, full verify
	$(BIN)/python -m bench.bombs
	$(BIN)/python -m bench.oversize

system:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,chart]'
	touch $@

clean:
	rm -rf $(VENV) var build *.egg-info
