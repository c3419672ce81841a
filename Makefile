# ferry — top-level entry points. `make run` and `make test` install what is
# missing (Debian packages), build, and then run the demo server / every test.
BUILD   ?= build
WERROR  ?= $(if $(CI),ON,OFF)
JOBS    ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test fuzz clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DFERRY_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run-demo.sh $(BUILD)

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Longer fuzzing with libFuzzer (clang): FUZZ_SECONDS per target.
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DFERRY_FUZZ=ON >/dev/null
	@cmake --build build-fuzz --target $$(cd fuzz && ls *_fuzz.cpp | sed 's/\.cpp$$//')
	@for f in fuzz/*_fuzz.cpp; do t=$$(basename $$f .cpp); c=fuzz/corpus/$${t%_fuzz}; \
	  mkdir -p build-fuzz/corpus/$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS)s"; \
	  build-fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus/$$t $$c || exit 1; done

clean:
	rm -rf $(BUILD) build-fuzz
