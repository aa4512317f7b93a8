# DeviceCredential: the two commands a new user needs are `make demo` and `make test`.
# Both install missing Debian packages, start the services they use in a throwaway HOME, and stop them.

SWIFT ?= swift
PREFIX ?= /usr/local
SCRIPTS := Tests/scripts
DEBUG_BIN = $(shell $(SWIFT) build --show-bin-path)
RELEASE_BIN = $(shell $(SWIFT) build -c release --show-bin-path)

.PHONY: all deps build test demo bench lint format clean

all: build

deps:
	@$(SCRIPTS)/install-deps.sh

build: deps
	$(SWIFT) build

# Builds everything first, so the services never wait on the compiler, then runs every test inside
# a D-Bus session with gnome-keyring, the swtpm TPM simulator and devicecred-server.
test: deps
	$(SWIFT) build --build-tests
	$(SCRIPTS)/with-services.sh --server $(DEBUG_BIN)/devicecred-server -- \
		$(SWIFT) test --skip-build $(TEST_ARGS)

demo: deps
	$(SWIFT) build
	$(SCRIPTS)/with-services.sh --no-tpm --server $(DEBUG_BIN)/devicecred-server \
		--server-config $(SCRIPTS)/demo-actions.toml -- $(SCRIPTS)/demo.sh $(DEBUG_BIN)

bench: deps
	$(SWIFT) build -c release
	$(SCRIPTS)/with-services.sh -- $(RELEASE_BIN)/devicecred-bench

lint:
	$(SWIFT) format lint --strict --configuration .swift-format --recursive Sources Tests Package.swift
	@$(SCRIPTS)/check-c-imports.sh

format:
	$(SWIFT) format format --in-place --configuration .swift-format --recursive Sources Tests Package.swift

clean:
	rm -rf .build
