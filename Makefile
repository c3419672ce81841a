# ferry — top-level entry points. `make run` and `make test` install what is
# missing (Debian packages), build what they need (`run`: ferryd and ferry
# only; `test`: everything), and then run the demo server / every test.
BUILD   ?= build
WERROR  ?= $(if $(CI),ON,OFF)
JOBS    ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test test-asan test-tsan fuzz clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DFERRY_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Builds only what it runs (the two programs); `make test` builds the tests,
# bench/ its benchmarks. PORT / FTP_PORT: where the demo listens.
PORT     ?= 9021
FTP_PORT ?= 2121
run: deps
	@cmake -S . -B $(BUILD) -G Ninja -DFERRY_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target ferryd ferry
	@PORT=$(PORT) FTP_PORT=$(FTP_PORT) scripts/run-demo.sh $(BUILD)

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Sanitizer runs (clang; one build directory each: ASan and TSan cannot
# share one). scripts/ctest-sanitized.sh makes any report fail the run.
SAN_CMAKE = CC=clang CXX=clang++ cmake -S . -G Ninja -DFERRY_WERROR=OFF
# What TSan runs: the concurrency-relevant unit-test binaries (a binary not
# written yet is skipped) and every end-to-end file (ctest labels).
TSAN_UNIT = session_registry_test session_server_stats_test session_upload_slots_test session_fs_workers_test account_cache_test \
  login_throttle_test quota_ledger_test path_locks_test rate_limiter_test native_session_test
tsan_unit = $(foreach t,$(TSAN_UNIT),$(if $(wildcard tests/unit/$(t).cpp),$(t)))
empty :=
space := $(empty) $(empty)
tsan_labels = ^($(subst $(space),|,$(strip $(tsan_unit) e2e)))$$

# The whole suite (unit, e2e, fuzz replays) under AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer.
test-asan: deps
	@$(SAN_CMAKE) -B build-asan -DFERRY_SANITIZE=address,undefined >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@scripts/ctest-sanitized.sh build-asan -j $(JOBS)

# The concurrency tests under ThreadSanitizer (only what they need is built).
test-tsan: deps
	@$(SAN_CMAKE) -B build-tsan -DFERRY_SANITIZE=thread >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target ferryd ferry $(tsan_unit)
	@scripts/ctest-sanitized.sh build-tsan -j $(JOBS) -L '$(tsan_labels)'

# Fuzzing with libFuzzer (clang, ASan+UBSan): FUZZ_SECONDS per target, new
# inputs kept in build-fuzz/corpus/NAME, a crashing input saved as
# build-fuzz/artifacts/NAME-crash-* (replay: build-fuzz/fuzz/NAME_fuzz FILE).
fuzz_targets = $(basename $(notdir $(wildcard fuzz/*_fuzz.cpp)))
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DFERRY_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target $(fuzz_targets)
	@mkdir -p build-fuzz/artifacts
	@for t in $(fuzz_targets); do c=fuzz/corpus/$${t%_fuzz}; \
	  mkdir -p build-fuzz/corpus/$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS)s"; \
	  build-fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/artifacts/$$t- build-fuzz/corpus/$$t $$c 2>build-fuzz/$$t.log \
	    || { tail -n 60 build-fuzz/$$t.log; echo "fuzz: $$t failed (log: build-fuzz/$$t.log)"; exit 1; }; \
	  grep -E '^(Done|stat::number_of_executed_units|INFO: seed corpus)' build-fuzz/$$t.log || true; \
	done

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
