# Two commands on a fresh Debian machine, as root:  make run   |   make test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages: what a production host needs is listed once, in contrib/systemd/debian-packages.txt (venv
# support, CA certificates, OCR of fax scans with its Lithuanian data, the Unicode font embedded in Sutikimas
# documents); the tests add a real IMAP server, PDF rendering of test scans, openssl for test certificates, and
# Chromium, which opens the public outage page as a visitor would.
RUNTIME_DEBS := $(shell sed -e 's/\#.*//' contrib/systemd/debian-packages.txt)
DEBS := $(RUNTIME_DEBS) dovecot-imapd poppler-utils openssl chromium

.PHONY: run test bench system venv seed clean debs bytecode

run: system venv
	$(BIN)/python -m ingest.demo var/inbox
	$(BIN)/itpc poll --once
	$(BIN)/itpc requests
	$(BIN)/itpc ledger verify

test: system venv
	$(BIN)/pytest -q

bench: system venv bytecode
	$(BIN)/python -m bench.ledger
	$(BIN)/python -m bench.ocr
	$(BIN)/python -m bench.pipeline
	@if [ -f bench/imap_poll.py ]; then $(BIN)/python -m bench.imap_poll; fi
	$(BIN)/python -m bench.review --requests 1000     # writers (tick, decide, requeue, poll one) vs note, RSS
	$(BIN)/python -m bench.review --requests 10000
	$(BIN)/python -m bench.review --requests 100000   # also run start, verify of what is new, full verify
	$(BIN)/python -m bench.bombs
	$(BIN)/python -m bench.oversize
	$(BIN)/python -m bench.sutikimas
	$(BIN)/python -m bench.startup

system:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

debs:
	@echo $(DEBS)

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,chart]'
	$(MAKE) -s bytecode
	touch $@

# Our modules' bytecode, written ahead: the service runs with its code read-only (ProtectSystem=strict) and
# a shell may set PYTHONDONTWRITEBYTECODE, either of which would make every command compile them all anew.
bytecode:
	$(BIN)/python -m compileall -q -j 0 itpc ingest responders ledger config bench

clean:
	rm -rf $(VENV) var build *.egg-info
