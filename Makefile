# The README's two commands: `make run` and `make test`. Each installs what is missing first.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all deps build web run test unit format format-check bench fuzz clean

all: build

deps:
	@bash scripts/install-deps

build: deps web
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

# The dashboard: npm packages from the lock file, then web/dist (served by `lifeline serve`).
web: deps
	@cd web && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
	  || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build >/dev/null

# The main job on the bundled configuration: `lifeline serve` (SQLite under ./var, dashboard on
# http://127.0.0.1:8080). It probes real internet hosts: on build machines run it only inside an
# empty network namespace, or try `lifeline demo`.
run: build
	$(BUILD_DIR)/lifeline serve $(ARGS)

# Every test: unit, integration (real servers on loopback) and scenarios (network namespaces).
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

bench: deps
	@bash scripts/install-deps --bench
	@bash bench/run.sh

# libFuzzer targets (fuzz/) on every parser of outside input, built with clang-14 in build/fuzz and
# run FUZZ_SECONDS each from the seed corpus in fuzz/corpus/ (new inputs go to a scratch folder);
# fails on a crash, naming the input. Not part of `make test`.
FUZZ_SECONDS ?= 60
fuzz:
	@bash scripts/install-deps --fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh

clean:
	rm -rf build
