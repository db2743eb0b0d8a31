# The README's two commands: `make run` and `make test`. Each installs what is missing first.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all deps build run test unit format format-check bench clean

all: build

deps:
	@bash scripts/install-deps

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

# The main job on the bundled configuration. Until `lifeline serve` lands this is `lifeline check`.
# It probes real internet hosts: on build machines run it only inside an empty network namespace.
run: build
	$(BUILD_DIR)/lifeline check $(ARGS)

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

clean:
	rm -rf build
