# Entry points. `make run` and `make test` are the README's two commands; both install
# the Debian packages they need (scripts/deps.sh) and build before they run.
BUILD_DIR ?= build
JOBS ?= 2
CTEST_ARGS ?=

.PHONY: deps configure build run test bench crash-long format schema-image clean

deps:
	./scripts/deps.sh

configure: deps
	cmake --preset default

build: configure
	cmake --build --preset default -j $(JOBS)

# hotspotd on 127.0.0.1:50051 with its stores under ./data and the demo area (Sjaelor Boulevard)
# loaded once; the first start prints dev tokens (Ctrl-C or SIGTERM stops it cleanly).
LISTEN ?= 127.0.0.1:50051
DATA_DIR ?= data
run: build
	./$(BUILD_DIR)/services/server/hotspotd --listen=$(LISTEN) --data_dir=$(DATA_DIR) --demo

test: build
	ctest --preset default $(CTEST_ARGS)

bench: build
	./$(BUILD_DIR)/tests/bench/store_bench --json --dir=$(BUILD_DIR)/bench-data
	./$(BUILD_DIR)/tests/bench/command_bench --json --dir=$(BUILD_DIR)/bench-commands
	./$(BUILD_DIR)/tests/bench/views_bench --json --dir=$(BUILD_DIR)/bench-views
	./$(BUILD_DIR)/tests/bench/audit_bench --json --dir=$(BUILD_DIR)/bench-audit

# The long crash test: 500 SIGKILL cycles (the default test run does 20).
crash-long: build
	./$(BUILD_DIR)/store/store_crash_test --cycles=500
	./$(BUILD_DIR)/store/store_power_loss_test --cycles=500
	./$(BUILD_DIR)/store/store_fault_injection_test --cycles=500
	./$(BUILD_DIR)/services/security/key_store_power_loss_test --cycles=500
	./$(BUILD_DIR)/services/audit/access_log_power_loss_test --cycles=500

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

# After an additive change to proto/: the image the test suite's buf breaking checks against.
schema-image:
	./scripts/schema_image.sh refresh

clean:
	rm -rf $(BUILD_DIR)
