# ConfigSpec operator — every task a newcomer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Node 22 comes from the npm package `node` (the system Node may be older); every recipe uses it.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# Built Kubernetes binaries live outside the repository, keyed by version (see hack/testcluster/README.md).
export CONFIGSPEC_CACHE ?= $(HOME)/.cache/configspec

JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: node_modules/.package-lock.json ## Install Node dependencies (Node 22 included)

.PHONY: build
build: deps ## Compile TypeScript into dist/
	npm run --silent build

.PHONY: lint
lint: deps ## ESLint, Prettier and the TypeScript type check
	npx eslint .
	npx prettier --check .
	npx tsc -p tsconfig.json --noEmit

.PHONY: test-unit
test-unit: deps ## Fast tests that need no cluster
	$(JEST) --selectProjects unit

.PHONY: test-dataplane
test-dataplane: deps ## Data plane on real llama.cpp with generated models (drafter, verifier, profiler)
	$(JEST) --selectProjects dataplane --runInBand

.PHONY: test-integration
test-integration: build testbin ## Tests against a real local control plane (started if none runs, stopped if started)
	$(JEST) --selectProjects integration --runInBand

.PHONY: test-faults
test-faults: build testbin ## Fault suite (apiserver restart, leader loss, node flaps, hostile edits) on its own cluster in .run/faults
	CONFIGSPEC_RUN_DIR=$(CURDIR)/.run/faults $(JEST) --selectProjects faults --runInBand

.PHONY: test-e2e
test-e2e: build testbin ## End to end (make demo on its own cluster in .run/e2e): real profiles, selection, one answer
	$(JEST) --selectProjects e2e --runInBand

.PHONY: testbin
testbin: ## Build the missing control-plane binaries (kube-*, etcd, kwok, helm) into $(CONFIGSPEC_CACHE)
	bash hack/testcluster/build.sh

.PHONY: cluster-up
cluster-up: build testbin ## Start the local control plane with the fleet of config/fleet/default.yaml
	bash hack/cluster.sh up

.PHONY: cluster-down
cluster-down: ## Stop exactly the processes cluster-up started and remove its run directory
	bash hack/cluster.sh down

.PHONY: cluster-check
cluster-check: build testbin ## Lifecycle check in its own run dir: up, up again, down, nothing left behind
	bash hack/testcluster/lifecycle-check.sh

.PHONY: cluster-status
cluster-status: ## Say what of the local control plane runs
	@bash hack/cluster.sh status || [ $$? -eq 3 ]  # 3: nothing runs, already said so

.PHONY: test
test: lint test-unit test-dataplane test-integration ## Everything CI runs: lint, unit and integration tests

.PHONY: chart-files
chart-files: build testbin ## Regenerate the chart's crds/ and catalog DeviceClasses, and config/operator/ (from the chart)
	node hack/chart-files.mjs

.PHONY: demo
demo: build ## The whole system on this machine (see README); leaves it running
	bash hack/demo.sh

.PHONY: demo-down
demo-down: ## Stop what `make demo` left running (operator, process kubelet, its cluster in .run/demo)
	bash hack/demo.sh down

.PHONY: bench-planner
bench-planner: build ## Planner speed: configurations per second, time to plan a large deployment
	node dist/bench/planner.js

.PHONY: bench-dataplane
bench-dataplane: build ## Data plane on loopback: measured vs predicted goodput, protocol overhead, speedup per K
	node dist/bench/dataplane.js

.PHONY: bench-regret
bench-regret: build ## Selection regret: the operator's choice from a profiled subset vs the oracle over the full grid (seeded)
	node dist/bench/regret.js

.PHONY: bench-closed-loop
bench-closed-loop: build ## Closed loop (seeded): time from a change of the world to the switch, and switches, for acceptance drop, device slowdown, verifier load
	node dist/bench/closed-loop.js

.PHONY: bench-fleet
bench-fleet: build testbin ## Fleet scale (slow, own cluster in .run/bench): 1,020 nodes, 100 deployments: time to Ready, RSS, CPU, requests, idle writes
	node dist/bench/fleet.js

.PHONY: bench
bench: build testbin ## Every benchmark, one after another, in one printed report (also .run/bench-results/report.json)
	node dist/bench/report.js

.PHONY: clean
clean: ## Remove build outputs (not the cluster binary cache)
	rm -rf dist coverage
