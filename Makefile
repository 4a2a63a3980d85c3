# streamfleet.cluster — one entry point for setup, tests and the local sandbox.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3
COLLECTION_LINK := .build/collections/ansible_collections/streamfleet/cluster
SCENARIO ?=
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv collection-link test unit integration sanity lint molecule test-hosts sandbox sandbox-down clean docs-check benchmark

help:
	@echo "make sandbox       set up, start the local emulators and deploy the main job"
	@echo "make sandbox-down  tear the sandbox down"
	@echo "make test          unit + integration + sanity + lint + molecule"
	@echo "make unit|integration|sanity|lint|molecule [SCENARIO=name]"
	@echo "make benchmark     every topology vs amazon.aws/community.aws, boot and 6 hosts (BENCHMARK_ARGS=\"--repeat 3\")"

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed collection-link

collection-link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn $(CURDIR) $(COLLECTION_LINK)
	@# amazon.aws, a dependency (galaxy.yml), from the pinned ansible package: for tools that
	@# look in this tree only (ansible-test, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false).
	@aws=$$($(PY) -c 'import ansible_collections.amazon.aws as c; print(list(c.__path__)[0])' 2>/dev/null) && \
	  mkdir -p .build/collections/ansible_collections/amazon && ln -sfn "$$aws" .build/collections/ansible_collections/amazon/aws || :

unit: venv
	$(BIN)/pytest -q -n 2 --dist worksteal --durations=10 tests/unit

integration: venv
	$(BIN)/pytest -q -n 3 --dist loadgroup --durations=15 tests/integration

sanity: venv
	scripts/sanity.sh

lint: venv
	$(BIN)/ansible-lint --profile production

docs-check: venv
	scripts/docs-check.sh

test-hosts: venv
	scripts/test-hosts.sh

molecule: venv test-hosts
	scripts/molecule.sh $(SCENARIO)

test: venv
	scripts/test-stages.sh

sandbox: venv
	scripts/sandbox.sh up

sandbox-down: venv
	scripts/sandbox.sh down

BENCHMARK_ARGS ?=
benchmark: venv
	$(BIN)/python benchmarks/run.py --update-docs --scale-check --hosts $(BENCHMARK_ARGS)

clean:
	rm -rf .build tests/output .pytest_cache
