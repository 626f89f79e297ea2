# federated.ssm_runas — `make lab` runs the site playbook on the embedded lab,
# `make test` runs every gate. Both install what they need on a fresh Debian machine (root).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

REPO        := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV        := $(REPO)/.venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.ssm-runas-$(shell cat requirements/dev.txt requirements/constraints.txt | sha256sum | cut -c1-12)
NPM_STAMP   := node_modules/.ssm-runas-$(shell cat package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-12)
SYS_STAMP   := $(REPO)/.cache/system-packages.ok
SYS_PKGS    := podman runc debootstrap uidmap slirp4netns iproute2 git shellcheck sudo openssl
LAB         ?= lab
SCENARIO    ?=
export CONTAINERS_CONF := $(REPO)/lab/containers.conf
export ANSIBLE_CONFIG  := $(REPO)/ansible.cfg
export PATH            := $(BIN):$(PATH)
export ANSIBLE_HOME    := $(REPO)/.cache/ansible
export ANSIBLE_LOCAL_TEMP := $(REPO)/.cache/ansible/tmp

.PHONY: help setup lab lab-up lab-down test lint unit sanity molecule verify bench drills clean docs

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------- toolchain
setup: $(SYS_STAMP) $(STAMP) $(NPM_STAMP) ## install system packages, the .venv and test-only npm tools

$(SYS_STAMP):
	@missing=""; for p in $(SYS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v node >/dev/null || { echo "setup: installing nodejs/npm"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	@mkdir -p $(dir $@) && touch $@

$(STAMP): requirements/dev.txt requirements/constraints.txt
	@py=$$(tools/find-python); \
	if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  rm -rf $(VENV); echo "setup: creating .venv with $$py"; $$py -m venv $(VENV); fi
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints.txt 2>&1 \
	  | { grep -v "^WARNING: Location 'file:" || true; }
	@rm -f $(VENV)/.ssm-runas-* && touch $@

$(NPM_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@rm -f node_modules/.ssm-runas-* && touch $@

# ---------------------------------------------------------------------------- lab
lab-up: setup ## bring the embedded lab up (or reuse it)
	@$(BIN)/python lab/lab.py up --name $(LAB) $(foreach d,$(LAB_INSTANCES),--instance $(d))

lab: lab-up ## the main job: site playbook on inventories/lab, then the run-as report
	@start=$$(date +%s); \
	$(BIN)/ansible-playbook -i inventories/lab playbooks/site.yml $(ANSIBLE_ARGS); \
	echo "lab: site.yml on inventories/lab finished in $$(( $$(date +%s) - start ))s"; \
	$(BIN)/ansible-playbook -i inventories/lab playbooks/verify.yml $(ANSIBLE_ARGS); \
	echo "lab: run-as report in ssm-runas-output/lab/report.md and report.json, ADFS export in ssm-runas-output/lab/adfs"

lab-down: ## remove what the lab created (cached base images stay)
	@$$(test -x $(BIN)/python && echo $(BIN)/python || echo python3) lab/lab.py down --name $(LAB) --images

verify: lab-up ## the run-as preflight report on the lab
	@$(BIN)/ansible-playbook -i inventories/lab playbooks/verify.yml $(ANSIBLE_ARGS)

# ---------------------------------------------------------------------------- gates
TEST_LOGS   := $(REPO)/.cache/test-logs
TEST_STEPS  := lint sanity unit molecule

test: setup ## every gate and every molecule scenario (logs in .cache/test-logs, then a secret scan)
	@rm -rf $(TEST_LOGS) && mkdir -p $(TEST_LOGS)
	@for step in $(TEST_STEPS); do \
	  echo "== make $$step"; start=$$(date +%s); \
	  $(MAKE) $$step 2>&1 | tee $(TEST_LOGS)/$$step.log || { rc=$$?; \
	    $(BIN)/python tools/failure_summary.py $(TEST_LOGS)/$$step.log; \
	    echo "== make $$step FAILED (exit $$rc); the whole log: .cache/test-logs/$$step.log"; exit $$rc; }; \
	  echo "== make $$step passed in $$(( $$(date +%s) - start ))s"; \
	done
	@$(BIN)/python tools/secret_scan.py $(TEST_LOGS) $$(ls -d .cache/drills .cache/bench/logs 2>/dev/null)
	@echo "test: all gates passed"

lint: setup ## ansible-lint (production), yamllint, ruff, docs drift
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --offline --profile production -q
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/argspec_docs.py --check

unit: setup ## pytest: unit, evaluator and controller-side tests, quick failure drills
	SSM_RUNAS_REQUIRE_TOOLS=1 $(BIN)/pytest -q tests/unit tests/integration
	SSM_RUNAS_REQUIRE_TOOLS=1 $(BIN)/pytest -q -m quick tests/drills

sanity: setup ## ansible-test sanity on plugins, in a temp ansible_collections tree
	@tools/sanity

molecule: setup ## all molecule scenarios, or SCENARIO=name
	@if [ -n "$(SCENARIO)" ]; then scenarios="$(SCENARIO)"; \
	else scenarios=$$(ls molecule | grep -v -e '^_' -e '^README'); fi; \
	for s in $$scenarios; do echo "== molecule test -s $$s"; $(BIN)/molecule test -s $$s; done

bench: setup ## ours beside linux-system-roles ad_integration, as ratios (.cache/bench; BENCH_ARGS=)
	@$(BIN)/python tools/bench.py $(BENCH_ARGS)

drills: setup ## failure drills that do not fit `make test`
	$(BIN)/pytest -q tests/drills

docs: setup ## regenerate README variable tables from meta/argument_specs.yml
	$(BIN)/python tools/argspec_docs.py

clean: lab-down ## lab down, caches and venv removed
	rm -rf .venv node_modules .cache tests/output
