# S2S Doctor — the two set-up-and-go commands are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/debug/s2s-doctor
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps generate check-generated build release release-flags dist dist-test test screen-test test-swift test-serial conformance fuzz demo bench screenshot format lint clean fixtures

all: build

# libedit (the wizard's line editor) is the only system library; install it when missing.
deps:
	@if ! pkg-config --exists libedit 2>/dev/null || [ ! -f /usr/include/histedit.h ]; then \
	  echo "Installing libedit-dev (and pkg-config) with apt-get…"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libedit-dev pkg-config >/dev/null; \
	fi

# Embed Checks/ and Templates/ into the binary (the binary must work when copied alone), then
# let the binary validate the YAML and write the catalogue snapshot it starts from (a test
# fails, naming this target, when the snapshot and the YAML differ).
SNAPSHOT := Sources/S2SDoctorCore/Generated/CatalogueSnapshot.swift

# Templates/ are embedded by scripts/embed.py; the catalogue snapshot is made by catalogue-gen
# (the strict loader), never by the shipped binary.
generate:
	python3 scripts/embed.py
	$(SWIFT) run --quiet catalogue-gen Checks $(SNAPSHOT)

check-generated:
	@python3 scripts/embed.py --check
	@$(SWIFT) run --quiet catalogue-gen --check Checks $(SNAPSHOT)

build: deps generate
	$(SWIFT) build

# Tests run in parallel: every blocking wait (a child process, a pty) happens on a thread of its
# own (Tests/S2SDoctorTestSupport), never on the cooperative pool the in-process emulators need.
# On 2 cores the Swift tests take ~170 s this way against ~360 s with `make test-serial`.
test: deps check-generated
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel
	bash Tests/conformance/run.sh
	bash scripts/validate-reports.sh
	$(MAKE) --no-print-directory screen-test
	$(MAKE) --no-print-directory dist-test

# The terminal screen tests (tmux; run outside `swift test`, on their own tmux socket).
screen-test:
	@command -v tmux >/dev/null || { echo "Installing tmux with apt-get…"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null; }
	timeout 1500 python3 Tests/screen/screen_tests.py

test-swift: deps check-generated
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel

# The same tests one at a time, to compare wall times or to read a failure's output in order.
test-serial: deps check-generated
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

conformance: build
	bash Tests/conformance/run.sh

# Longer fuzzing than the 10,000 cases per parser that `make test` runs.
fuzz: deps
	S2S_FUZZ_CASES=200000 $(SWIFT) test --filter Fuzz

# Re-record the checks' fixtures from the emulator (Checks/<check>/fixtures/*.json).
fixtures: build
	BIN=$(BIN) python3 scripts/record-fixtures.py

demo: build
	@$(BIN) demo

# The binary to ship: optimised, with the Swift runtime and Foundation linked in (it needs only
# libedit and the C/C++ runtime on the target machine, and starts faster), exporting no symbols.
# Whole-program LTO with conditional runtime records lets the linker drop the metadata and code
# nothing reaches: 180 -> 137 MB and 136,000 -> 115,000 relocations the loader applies at every
# start (cold start 2.25x -> 1.93x a hello world built the same way). It costs build time
# (~11 min on 2 cores instead of ~2). bench/run.sh builds its hello world with the same flags.
RELEASE_FLAGS := -c release --static-swift-stdlib --experimental-lto-mode=full \
  -Xswiftc -Xfrontend -Xswiftc -conditional-runtime-records -Xswiftc -Xfrontend -Xswiftc -internalize-at-link

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --scratch-path .build-release --product s2s-doctor \
	  -Xlinker --version-script=$(CURDIR)/scripts/release-symbols.map
	@echo ".build-release/release/s2s-doctor"

release-flags:
	@echo $(RELEASE_FLAGS)

# The tarball to ship: release binary, man page, bash/zsh/fish completions, SHA-256 sums.
dist: release
	bash scripts/dist.sh

# The shipped binary with the Swift toolchain hidden (a mount namespace): --version, explain, check.
dist-test: dist
	bash scripts/dist-test.sh

bench: deps
	bash bench/run.sh

screenshot:
	bash scripts/screenshot-report.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --recursive Sources Tests Package.swift

clean:
	rm -rf .build
