# Gaoxing (高兴办). `make run` starts the whole platform on this machine; `make test` runs every
# test against real servers. Both build what they need on first use (see `make tools`).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
export GAOXING_BIN_DIR := $(BIN)
export BUF_CACHE_DIR := $(CURDIR)/.cache/buf

# Every Go module of the workspace that has packages to build and test.
MODULES := pkg proto cmd/gaoxing e2e $(wildcard services/*)
PACKAGES := $(addprefix ./,$(addsuffix /...,$(MODULES)))
GOTESTFLAGS ?= -count=1 -p 2 -timeout 30m

PLUGINS := $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc $(BIN)/protoc-gen-grpc-gateway $(BIN)/protoc-gen-openapiv2
SERVERS := $(BIN)/minio $(BIN)/etcd
# The clients the chart's Jobs run (MinIO users and policies, etcd snapshots and their
# restore); the tests run the same scripts with them.
CLIENTS := $(BIN)/mc $(BIN)/etcdctl $(BIN)/etcdutl
# The trace and metrics stores `make run` starts beside the platform (and the e2e tests use);
# promtool runs the alerting rules' unit tests.
OBSERVE := $(BIN)/jaeger $(BIN)/prometheus $(BIN)/promtool
ALERT_RULES := charts/gaoxing/alerts/gaoxing.rules.yaml
# The chart's tests install it into a real kube-apiserver, run skaffold, which runs helm, and
# create its Secrets with scripts/k8s-secrets.sh, which runs kubectl.
KUBE_TOOLS := $(BIN)/kube-apiserver $(BIN)/kubectl $(BIN)/skaffold $(BIN)/helm
TOOLS   := $(BIN)/buf $(PLUGINS) $(SERVERS) $(CLIENTS) $(OBSERVE) $(BIN)/golangci-lint $(KUBE_TOOLS)

# The staff console (web/console): built by the OS Node into services/console/dist, which
# the Go binaries embed. npm ci runs when the lock file changes; the build when a source does.
WEB       := web/console
WEB_DEPS  := $(WEB)/node_modules/.package-lock.json
WEB_BUILT := services/console/dist/index.html
WEB_SRC   := $(shell find $(WEB)/src $(WEB)/scripts -type f 2>/dev/null) $(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/tsconfig.json

.PHONY: help run test test-unit test-e2e test-charts test-alerts test-browser screenshots bench-console render lint proto tools test-tools verify web web-api web-verify chromium postgres shellcheck clean

help:
	@echo "make run      start Gaoxing on this machine (embedded etcd, MinIO, every service); the console at http://127.0.0.1:8080"
	@echo "make test     every test, against real etcd, MinIO, PostgreSQL, SQLite and a kube-apiserver"
	@echo "make test-e2e only the end-to-end tests (launcher and services as processes)"
	@echo "make test-alerts the chart's alerting rules against their unit tests (promtool)"
	@echo "make test-charts the Helm chart: render, pod security, install into a real kube-apiserver, skaffold"
	@echo "make render   the manifests skaffold deploys (no image build)"
	@echo "make lint     golangci-lint over every module"
	@echo "make proto    regenerate proto/gen from the contracts"
	@echo "make verify   generated code current, module boundaries kept, every module builds alone"
	@echo "make tools    build the pinned tools and servers into bin/"
	@echo "make web      build the staff console (npm ci when the lock changed, then vite) into services/console/dist"
	@echo "make web-api  regenerate the console's API types from the services' OpenAPI documents"
	@echo "make test-browser the console's browser tests (headless Chromium against gaoxing up)"
	@echo "make screenshots  regenerate docs/screenshots/ from a running console"
	@echo "make bench-console the queue page with 1,000,000 applications behind it (slow; not in make test)"

# UP_FLAGS go to `gaoxing up`: `make run UP_FLAGS=--mock-court` runs the mock court too.
UP_FLAGS ?=

run: $(SERVERS) $(OBSERVE) web
	go build -o $(BIN)/gaoxing ./cmd/gaoxing
	go build -o $(BIN)/mockcourt ./e2e/mockcourt
	$(BIN)/gaoxing up --data $(CURDIR)/data --alert-rules $(CURDIR)/$(ALERT_RULES) $(UP_FLAGS)

test: test-tools postgres $(KUBE_TOOLS) test-alerts web chromium
	go test $(GOTESTFLAGS) $(PACKAGES)
	cd charts && GOWORK=off go test $(GOTESTFLAGS) ./...

test-unit:
	go test -short $(PACKAGES)

test-e2e: test-tools web chromium
	go test $(GOTESTFLAGS) ./e2e/...

# The console in a real browser: sign-in, the clerk's and the handler's flows, isolation,
# accessibility (axe-core), against `gaoxing up` on a fresh data directory.
test-browser: test-tools web chromium
	go test $(GOTESTFLAGS) ./e2e/console/...

# Screenshots of the main pages for the README, from the same browser flow.
screenshots: test-tools web chromium
	GAOXING_SCREENSHOTS=$(CURDIR)/docs/screenshots go test $(GOTESTFLAGS) -run 'TestConsole$$|TestDomainPages$$|TestConsoleOps$$' ./e2e/console/...

# The queue page's time to interactive with 1,000,000 applications bulk-loaded into
# matters' database (docs/benchmarks.md); minutes, so not part of make test.
bench-console: test-tools web chromium
	GAOXING_BENCH_APPLICATIONS=1000000 go test $(GOTESTFLAGS) -run 'TestQueuePageWithManyApplications$$' -v ./e2e/console/...

# The chart's module (outside the workspace): render and golden tests, install/upgrade/
# rollback into a real kube-apiserver, skaffold diagnose and render.
test-charts: $(BIN)/etcd $(KUBE_TOOLS) test-alerts
	cd charts && GOWORK=off go test $(GOTESTFLAGS) ./...

# The manifests skaffold would deploy, without building images (no Docker needed). Its
# own settings file here turns off usage reporting and the update check.
render: $(BIN)/skaffold $(BIN)/helm
	@mkdir -p .cache/skaffold && printf 'global:\n  collect-metrics: false\n  update-check: false\n' >.cache/skaffold/config
	SKAFFOLD_CONFIG=$(CURDIR)/.cache/skaffold/config skaffold render --offline=true --digest-source=none

lint: $(BIN)/golangci-lint shellcheck
	golangci-lint run $(PACKAGES)
	cd charts && GOWORK=off golangci-lint run ./...
	shellcheck -x -S warning $$(git ls-files '*.sh')

proto: $(BIN)/buf $(PLUGINS)
	proto/generate.sh

verify: $(BIN)/buf $(PLUGINS) web-verify
	scripts/verify.sh

web: $(WEB_BUILT)

$(WEB_DEPS): $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "the console needs Node 20 and npm from the OS packages (apt-get install -y nodejs npm)" >&2; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund

$(WEB_BUILT): $(WEB_DEPS) $(WEB_SRC)
	cd $(WEB) && npm run build

web-api: $(WEB_DEPS)
	cd $(WEB) && npm run gen:api

# npm ci refuses a lock file out of step with package.json; the check regenerates the
# API types in memory and compares them with the committed ones.
web-verify: $(WEB_DEPS)
	cd $(WEB) && npm run check:api

# The browser tests drive Debian's Chromium (and its pages need a Chinese font to render
# the screenshots); CI runs as root on a fresh machine, where both are installed.
chromium:
	@missing=""; command -v chromium >/dev/null || missing="chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "the browser tests need: sudo apt-get install -y $$missing" >&2; \
			if ! command -v chromium >/dev/null && [ "$${CI:-}" = true ]; then exit 1; fi; fi; \
	fi

postgres:
	scripts/ensure-postgres.sh

# The shell scripts (the chart's Jobs, backups and restores, the helpers) are linted like the Go.
shellcheck:
	@command -v shellcheck >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; \
		else echo "lint needs shellcheck: sudo apt-get install -y shellcheck" >&2; exit 1; fi; }

tools: $(TOOLS)

test-tools: $(SERVERS) $(CLIENTS) $(OBSERVE)

# Each alerting rule of the chart against series written for it (promtool's unit tests).
test-alerts: $(BIN)/promtool
	promtool check rules $(ALERT_RULES)
	cd charts/gaoxing/alerts && promtool test rules *_test.yaml

# Each tool is built from a pinned module in tools/ (go.mod + go.sum fix every version), once;
# the Go build cache makes a rebuild after a version bump cheap.
$(PLUGINS) &: tools/go.mod tools/go.sum
	@echo ">> building protoc plugins"
	cd tools && GOWORK=off go build -o $(BIN)/ \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2

$(BIN)/buf: tools/buf/go.mod tools/buf/go.sum
	@echo ">> building buf (about 2 minutes on a cold cache)"
	cd tools/buf && GOWORK=off go build -o $@ github.com/bufbuild/buf/cmd/buf

$(BIN)/minio: tools/minio/go.mod tools/minio/go.sum
	@echo ">> building the MinIO server (about 7 minutes on a cold cache; once)"
	cd tools/minio && GOWORK=off go build -o $@ github.com/minio/minio

$(BIN)/etcd: tools/etcd/go.mod tools/etcd/go.sum
	@echo ">> building the etcd server (about 2 minutes on a cold cache)"
	cd tools/etcd && GOWORK=off go build -o $@ go.etcd.io/etcd/server/v3

# mc is pinned by the MinIO server's own module (it runs only as a process, like the server).
$(BIN)/mc: tools/minio/go.mod tools/minio/go.sum
	cd tools/minio && GOWORK=off go build -o $@ github.com/minio/mc

$(BIN)/etcdctl $(BIN)/etcdutl &: tools/etcd/go.mod tools/etcd/go.sum
	cd tools/etcd && GOWORK=off go build -o $(BIN)/ go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3

$(BIN)/golangci-lint: tools/lint/go.mod tools/lint/go.sum
	@echo ">> building golangci-lint (about 4 minutes on a cold cache)"
	cd tools/lint && GOWORK=off go build -o $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint

# Jaeger v2 (the traces of `make run` and the e2e tests); its UI is a placeholder when built
# from the module, the query API is what Gaoxing reads.
$(BIN)/jaeger: tools/jaeger/go.mod tools/jaeger/go.sum
	@echo ">> building Jaeger (about 4 to 12 minutes on a cold cache; once)"
	cd tools/jaeger && GOWORK=off go build -o $@ github.com/jaegertracing/jaeger/cmd/jaeger

# Prometheus with only static, file and HTTP service discovery (remove_all_sd): the
# launcher names its targets, and the cloud discovery SDKs would triple the build.
$(BIN)/prometheus $(BIN)/promtool &: tools/prometheus/go.mod tools/prometheus/go.sum
	@echo ">> building Prometheus and promtool (about 3 minutes on a cold cache)"
	cd tools/prometheus && GOWORK=off go build -tags remove_all_sd -o $(BIN)/ \
		github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool

# Built without the release scripts, so the version the binaries report is set here
# from the pinned module (Helm checks a chart's kubeVersion against the API server's).
$(BIN)/kube-apiserver: tools/kube-apiserver/go.mod tools/kube-apiserver/go.sum
	@echo ">> building kube-apiserver (about 11 minutes on a cold cache; once)"
	cd tools/kube-apiserver && v=$$(GOWORK=off go list -m -f '{{.Version}}' k8s.io/kubernetes) && \
		minor=$${v#v*.} && minor=$${minor%%.*} && major=$${v#v} && major=$${major%%.*} && \
		GOWORK=off go build -o $@ -ldflags "\
			-X k8s.io/component-base/version.gitVersion=$$v \
			-X k8s.io/component-base/version.gitMajor=$$major \
			-X k8s.io/component-base/version.gitMinor=$$minor" \
		k8s.io/kubernetes/cmd/kube-apiserver

# kubectl from the same pinned Kubernetes: the chart's tests run scripts/k8s-secrets.sh with it.
$(BIN)/kubectl: tools/kube-apiserver/go.mod tools/kube-apiserver/go.sum
	cd tools/kube-apiserver && GOWORK=off go build -o $@ k8s.io/kubernetes/cmd/kubectl

$(BIN)/skaffold: tools/skaffold/go.mod tools/skaffold/go.sum
	@echo ">> building skaffold (about 5 minutes on a cold cache)"
	cd tools/skaffold && v=$$(GOWORK=off go list -m -f '{{.Version}}' github.com/GoogleContainerTools/skaffold/v2) && \
		GOWORK=off go build -o $@ \
			-ldflags "-X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=$$v" \
			github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold

$(BIN)/helm: tools/helm/go.mod tools/helm/go.sum
	@echo ">> building helm (about 2 minutes on a cold cache)"
	cd tools/helm && v=$$(GOWORK=off go list -m -f '{{.Version}}' helm.sh/helm/v3) && \
		GOWORK=off go build -o $@ -ldflags "-X helm.sh/helm/v3/internal/version.version=$$v" helm.sh/helm/v3/cmd/helm

clean:
	rm -rf $(BIN) .cache $(WEB)/node_modules
	find services/console/dist -mindepth 1 ! -name .keep -delete
