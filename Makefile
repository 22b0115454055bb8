# Whistle: local install, run, test, bench.  `make help` lists targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        := .venv
VPY         := $(VENV)/bin/python
STAMP       := .make-stamp-install
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
PYTEST_ARGS ?=
BENCH_ARGS  ?=
ROUNDS      ?= 100

.PHONY: help install run stop test bench bench-intake chaos fuzz clean distclean system-deps kafka-deps vendor

help:
	@echo "make install   venv + Python deps (when pyproject.toml changed) + Kafka jars"
	@echo "make run       start Kafka, Temporal, worker, 6 services, demo data; portal http://127.0.0.1:8000"
	@echo "make stop      stop a \`make run\` started in the background (its pid is in .data/stack.pid)"
	@echo "make test      install + postgresql/chromium if missing, then pytest (PYTEST_ARGS='-k x')"
	@echo "make bench     bench/pipeline.py (BENCH_ARGS=...)"
	@echo "make bench-intake  bench/intake.py: filings/s and POST p50/p99 per channel (BENCH_ARGS=...)"
	@echo "make bench-dashboard  bench/dashboard.py: 1,000,000 ticket lives into the dashboard on PostgreSQL, load rate, rebuild, query p50/p99 (BENCH_ARGS=...)"
	@echo "make bench-degraded  bench/degraded.py: POST /tickets latency with Kafka up and SIGKILLed (--outage 30), drain time after its restart"
	@echo "make bench-recovery  bench/recovery.py: SIGKILL one component (--component kafka), time it and every /readyz back, with the reasons"
	@echo "make chaos     ROUNDS=100 random SIGKILLs under load, then verify; figures in bench/results/chaos-<commit>.json"
	@echo "make fuzz      schemathesis on every service's OpenAPI as every role, stateful along its links, + the portal's forms (FUZZ_EXAMPLES=50); figures in bench/results/fuzz-<commit>.json"
	@echo "make clean     remove .data/ and caches;  make distclean: also .venv and Kafka jars"

install: $(STAMP) kafka-deps vendor

$(VPY):
	@echo "creating $(VENV) ..."
	@$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the stamp (or the venv was recreated).
$(STAMP): pyproject.toml | $(VPY)
	@echo "installing Python dependencies into $(VENV) ..."
	@$(VPY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

# Front-end files the portal serves itself (Leaflet for the filing form's map, ECharts for the 数据大屏): committed; npm only when missing.
vendor:
	@deploy/vendor-leaflet.sh
	@deploy/vendor-echarts.sh

# Java + Maven for the Kafka broker (deploy/kafka/kafka.sh); jars are fetched once (libs/.complete).
kafka-deps:
	@pkgs=""; \
	command -v java >/dev/null 2>&1 || pkgs="$$pkgs default-jre-headless"; \
	command -v mvn  >/dev/null 2>&1 || pkgs="$$pkgs maven"; \
	if [ -n "$$pkgs" ]; then \
	  echo "apt-get install$$pkgs ..."; \
	  $(SUDO) apt-get update -qq && $(APT_INSTALL) $$pkgs >/dev/null; \
	fi
	@if [ ! -f deploy/kafka/libs/.complete ]; then echo "fetching Kafka jars with Maven ..."; fi
	@deploy/kafka/kafka.sh fetch

# PostgreSQL (tests run a throwaway cluster), Chromium (Playwright browser tests), a CJK font (without one the
# browser draws Chinese as empty boxes) and promtool (Debian's prometheus: tests check deploy/prometheus), only when missing.
system-deps:
	@pkgs=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs="$$pkgs postgresql"; \
	[ -x /usr/bin/chromium ] || [ -n "$${CHROMIUM_PATH:-}" ] || pkgs="$$pkgs chromium"; \
	dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || dpkg -s fonts-noto-cjk >/dev/null 2>&1 || pkgs="$$pkgs fonts-wqy-microhei"; \
	command -v promtool >/dev/null 2>&1 || pkgs="$$pkgs prometheus"; \
	if [ -n "$$pkgs" ]; then \
	  echo "apt-get install$$pkgs ..."; \
	  $(SUDO) apt-get update -qq && $(APT_INSTALL) $$pkgs >/dev/null; \
	fi

run: install
	$(VPY) -m deploy.stack run

# Ends what `make run` started (SIGTERM to its supervisor, which stops everything in order) and waits for it.
stop:
	@if [ -x $(VPY) ]; then $(VPY) -m deploy.stack stop; else echo "Whistle is not running (no $(VENV))"; fi

# tests/run_all.sh: two pytest processes side by side (chaos, workflows, browser beside the rest); PYTEST_ARGS: one plain pytest run.
test: install system-deps
	@PY=$(VPY) PYTEST_ARGS="$(PYTEST_ARGS)" tests/run_all.sh

bench: install
	PYTHONPATH=$(CURDIR) $(VPY) bench/pipeline.py $(BENCH_ARGS)

bench-intake: install
	PYTHONPATH=$(CURDIR) $(VPY) bench/intake.py $(BENCH_ARGS)

.PHONY: bench-degraded
bench-degraded: install system-deps
	PYTHONPATH=$(CURDIR) $(VPY) bench/degraded.py $(BENCH_ARGS)

.PHONY: bench-recovery
bench-recovery: install system-deps
	PYTHONPATH=$(CURDIR) $(VPY) bench/recovery.py $(BENCH_ARGS)

.PHONY: bench-dashboard
bench-dashboard: install
	PYTHONPATH=$(CURDIR) $(VPY) bench/dashboard.py $(BENCH_ARGS)

# Chaos rounds (tests/chaos): a stack on free ports with PostgreSQL at production durability; `make test` runs one
# kill of each component (tests/chaos/test_chaos.py).
chaos: install system-deps
	PYTHONPATH=$(CURDIR) $(VPY) -m tests.chaos.run --rounds $(ROUNDS)

# Fuzzing (tests/fuzz): every operation of every service's OpenAPI with each role the authorization matrix lets in,
# then sequences of calls along its OpenAPI links (stateful: 5 x FUZZ_EXAMPLES sequences of up to FUZZ_STEPS=8 calls
# per service), and every portal form; `make test` runs 2 examples per operation (first role), 10 sequences per
# service and 6 examples per form.
FUZZ_EXAMPLES ?= 50
fuzz: install system-deps
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_ROLES=all FUZZ_REPORT=bench/results/fuzz-{commit}.json \
	  $(VPY) -m pytest -q -s -p no:randomly tests/integration/test_fuzz_api.py tests/unit/test_fuzz_portal_forms.py

clean:
	rm -rf .data .pytest_cache $(STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) deploy/kafka/libs whistle.egg-info
