# DeviceCredential: the two commands a new user needs are `make demo` and `make test`.
# Both install missing Debian packages, start the services they use in a throwaway HOME, and stop them.

SWIFT ?= swift
PREFIX ?= /usr/local
SCRIPTS := Tests/scripts
DEBUG_BIN = $(shell $(SWIFT) build --show-bin-path)
RELEASE_BIN = $(shell $(SWIFT) build -c release --show-bin-path)

# A prefix inside $HOME is a per-user install: the unit goes where `systemctl --user` finds user units.
ifeq ($(patsubst $(HOME)/%,HOME,$(PREFIX)),HOME)
UNITDIR ?= $(HOME)/.config/systemd/user
else
UNITDIR ?= $(PREFIX)/lib/systemd/user
endif
EXECUTABLES := devicecred devicecred-agent devicecred-server

.PHONY: all deps build test test-sanitizers test-asan test-tsan demo bench soak fuzz lint format install uninstall deb test-deb clean

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

# The sanitizer builds live beside the plain one, each in its own directory. The AddressSanitizer build
# carries libFuzzer's coverage too, so `make fuzz` reuses its modules instead of compiling them again.
ASAN_BUILD_FLAGS := --scratch-path .build/asan --sanitize=address \
	-Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table
TSAN_BUILD_FLAGS := --scratch-path .build/tsan --sanitize=thread

# The whole suite under AddressSanitizer, then under ThreadSanitizer; a report from any process fails it.
test-sanitizers: test-asan test-tsan

test-asan: deps
	TEST_ARGS="$(TEST_ARGS)" $(SCRIPTS)/test-sanitized.sh address $(ASAN_BUILD_FLAGS)

test-tsan: deps
	TEST_ARGS="$(TEST_ARGS)" $(SCRIPTS)/test-sanitized.sh thread $(TSAN_BUILD_FLAGS)

demo: deps
	$(SWIFT) build
	$(SCRIPTS)/with-services.sh --no-tpm --server $(DEBUG_BIN)/devicecred-server \
		--server-config $(SCRIPTS)/demo-actions.toml -- $(SCRIPTS)/demo.sh $(DEBUG_BIN)

bench: deps
	$(SWIFT) build -c release
	$(SCRIPTS)/with-services.sh -- $(RELEASE_BIN)/devicecred-bench

# The release agent polls 10,000 times through a fault proxy that flaps while challenges come and go; fails
# when one is shown twice, answered twice or missed, or descriptors, threads or memory grow (Docs/reliability.md).
soak: deps
	$(SWIFT) build -c release
	$(SCRIPTS)/with-services.sh --no-tpm -- $(RELEASE_BIN)/devicecred-soak $(SOAK_ARGS)

# libFuzzer without its main (devicecred-fuzz has its own), from the toolchain that builds.
LIBFUZZER = $(shell dirname "$$(realpath "$$(command -v $(SWIFT))")")/../lib/swift/clang/lib/linux/libclang_rt.fuzzer_no_main-$(shell uname -m).a
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= $(shell nproc)

# Every libFuzzer target for FUZZ_SECONDS each (FUZZ_JOBS at once; FUZZ_TARGETS="a b" for some), on copies
# of the seed corpora in Tests/Fuzz/; fails when one crashes. See Docs/reliability.md.
fuzz: deps
	DEVICECRED_FUZZ=1 $(SWIFT) build $(ASAN_BUILD_FLAGS) --product devicecred-fuzz \
		-Xlinker $(LIBFUZZER) -Xlinker -lstdc++
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) $(SCRIPTS)/fuzz.sh \
		"$$(DEVICECRED_FUZZ=1 $(SWIFT) build $(ASAN_BUILD_FLAGS) --show-bin-path)/devicecred-fuzz" $(FUZZ_TARGETS)

# Debian packages into dist/: release builds with the Swift runtime linked statically (no toolchain needed).
deb:
	@$(SCRIPTS)/install-deps.sh --packaging
	$(SCRIPTS)/build-deb.sh dist

# Installs them into a minimal Debian 12 without Swift and checks them there (root: debootstrap, chroot).
test-deb: deb
	$(SCRIPTS)/test-deb.sh dist

lint:
	$(SWIFT) format lint --strict --configuration .swift-format --recursive Sources Tests Package.swift
	@$(SCRIPTS)/check-c-imports.sh
	@$(SCRIPTS)/check-foundation-imports.sh

format:
	$(SWIFT) format format --in-place --configuration .swift-format --recursive Sources Tests Package.swift

install: deps
	for product in $(EXECUTABLES); do $(SWIFT) build -c release --product $$product || exit 1; done
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR)
	cd $(RELEASE_BIN) && install -m 755 $(EXECUTABLES) $(abspath $(DESTDIR)$(PREFIX))/bin/
	sed 's|^ExecStart=.*|ExecStart=$(PREFIX)/bin/devicecred-agent|' \
		Sources/devicecred-agent/systemd/devicecred-agent.service >$(DESTDIR)$(UNITDIR)/devicecred-agent.service
	install -d $(DESTDIR)$(PREFIX)/share/dbus-1/services $(DESTDIR)$(PREFIX)/share/dbus-1/interfaces
	sed 's|^Exec=.*|Exec=$(PREFIX)/bin/devicecred-agent|' Sources/devicecred-agent/dbus/io.github.DeviceCredential.Agent.service \
		>$(DESTDIR)$(PREFIX)/share/dbus-1/services/io.github.DeviceCredential.Agent.service
	install -m 644 Sources/devicecred-agent/dbus/io.github.DeviceCredential.Agent1.xml \
		Sources/devicecred-agent/dbus/io.github.DeviceCredential.Prompter1.xml $(DESTDIR)$(PREFIX)/share/dbus-1/interfaces/
	$(SCRIPTS)/generate-cli-extras.sh $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/share
	sed 's|^Exec=devicecred |Exec=$(PREFIX)/bin/devicecred |' packaging/devicecred-open.desktop \
		| install -D -m 644 /dev/stdin $(DESTDIR)$(PREFIX)/share/applications/devicecred-open.desktop
	# Registers the devicecred: link handler now (a package does it through its trigger).
	if [ -z "$(DESTDIR)" ] && command -v update-desktop-database >/dev/null; then \
		update-desktop-database $(PREFIX)/share/applications; fi
	@echo "installed in $(PREFIX); start the agent with: systemctl --user daemon-reload && systemctl --user enable --now devicecred-agent"

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(EXECUTABLES)) $(DESTDIR)$(UNITDIR)/devicecred-agent.service
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/devicecred \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_devicecred \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/devicecred.fish \
		$(DESTDIR)$(PREFIX)/share/man/man1/devicecred.1 \
		$(DESTDIR)$(PREFIX)/share/applications/devicecred-open.desktop \
		$(DESTDIR)$(PREFIX)/share/dbus-1/services/io.github.DeviceCredential.Agent.service \
		$(DESTDIR)$(PREFIX)/share/dbus-1/interfaces/io.github.DeviceCredential.Agent1.xml \
		$(DESTDIR)$(PREFIX)/share/dbus-1/interfaces/io.github.DeviceCredential.Prompter1.xml

clean:
	rm -rf .build dist
