# Entry points. `make run` and `make test` are the README's two commands; both install
# the Debian packages they need (scripts/deps.sh) and build before they run.
BUILD_DIR ?= build
JOBS ?= 2
CTEST_ARGS ?=

.PHONY: deps configure build fuzz-build fuzz-seeds fuzz-long run test test-asan bench crash-long ha-long \
	format schema-image clean soak

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

# The libFuzzer targets (tests/fuzz): clang-14 with ASan and UBSan in build-fuzz/, only they and the
# libraries they need. ctest's fuzz_<target> tests run them briefly and fail if they are missing.
fuzz-build: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)

test: build fuzz-build
	ctest --preset default $(CTEST_ARGS)

# The whole suite under AddressSanitizer and UBSan (build-asan/, Debug; slow to build).
test-asan: deps fuzz-build
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS) $(CTEST_ARGS)

# A long fuzz run: each target for FUZZ_SECONDS, its corpus kept in build-fuzz/corpus/<target>
# (a later run continues from it). A finding stops it; its input is in build-fuzz/tests/fuzz/artifacts/.
FUZZ_SECONDS ?= 3600
FUZZ_TARGETS ?= record_codec command tokens_file jwt
fuzz-long: fuzz-build
	for t in $(FUZZ_TARGETS); do \
	  tests/fuzz/run_fuzz.sh build-fuzz/tests/fuzz/fuzz_$$t tests/fuzz/corpus/$$t $(FUZZ_SECONDS) \
	    build-fuzz/corpus/$$t || exit 1; \
	done

# The command target's seeds, from the scenario it fuzzes against (after the scenario or the
# requests change).
fuzz-seeds: fuzz-build
	cmake --build --preset fuzz --target fuzz_command_seeds
	./build-fuzz/tests/fuzz/fuzz_command_seeds tests/fuzz/corpus/command

bench: build
	./$(BUILD_DIR)/tests/bench/store_bench --json --dir=$(BUILD_DIR)/bench-data
	./$(BUILD_DIR)/tests/bench/command_bench --json --dir=$(BUILD_DIR)/bench-commands
	./$(BUILD_DIR)/tests/bench/views_bench --json --dir=$(BUILD_DIR)/bench-views
	./$(BUILD_DIR)/tests/bench/audit_bench --json --dir=$(BUILD_DIR)/bench-audit

# The long crash test: 500 SIGKILL cycles (the default test run does 20).
# Twenty failovers of a loopback PostgreSQL cluster under load (issue 17; the default run does 3).
ha-long: build
	./$(BUILD_DIR)/store/pg_failover_test --failovers=20

crash-long: build
	./$(BUILD_DIR)/store/store_crash_test --cycles=500
	./$(BUILD_DIR)/store/store_power_loss_test --cycles=500
	./$(BUILD_DIR)/store/store_fault_injection_test --cycles=500
	./$(BUILD_DIR)/services/security/key_store_power_loss_test --cycles=500
	./$(BUILD_DIR)/services/audit/access_log_power_loss_test --cycles=500
	./$(BUILD_DIR)/services/security/key_store_fault_test --gtest_filter='*RandomFaults*' --cycles=500
	./$(BUILD_DIR)/services/audit/access_log_fault_test --gtest_filter='*RandomFaults*' --cycles=500

# The soak test (tests/soak/soak_test.cc, issue 15 §6) for SOAK_SECONDS of load: mixed commands,
# queries and subscriptions, SIGKILL every 5 minutes, an fsync fault window every 2 minutes;
# memory, threads and descriptors must stay flat. The default test run does 60 s.
SOAK_SECONDS ?= 3600
soak: build
	nice ./$(BUILD_DIR)/tests/soak/soak_test --duration=$(SOAK_SECONDS) --kill_every=300 \
	  --fault_every=120 --sample_every=5 --warmup=60 --json

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

# After an additive change to proto/: the image the test suite's buf breaking checks against.
schema-image:
	./scripts/schema_image.sh refresh

clean:
	rm -rf $(BUILD_DIR) build-fuzz
