# Everyday commands. `make demo` and `make test` work on a fresh Debian 12 machine:
# both install what they need first (scripts/install-deps.sh is idempotent).
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc)
DEMO_DIR   ?= demo
DEMO_DATE  ?= 2019-06-01
FUZZ_SECONDS ?= 60

.PHONY: all deps build test test-asan test-image fuzz demo lint format bench bench-s3 clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Unit and integration tests (real SQLite; PostgreSQL and S3 servers are started by the
# tests that need them through scripts/), then the sanitizer build and a bounded fuzz run.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory fuzz

# The sanitizer run skips the PostgreSQL fault tests (they exercise server-side faults, the same
# client code runs in the other tests, and they take minutes under ASan) and the tests that
# move the clock of `d2d serve` with libfaketime (ServeTest, ServeFreshness, every browser_* test): an LD_PRELOAD
# ahead of the ASan runtime stops the process at start. The serve code runs under ASan in the
# LedgerRead, ServeAuth and ServeSlowClients tests.
#
# Its flags are -O1 -g1 rather than RelWithDebInfo's -O2 -g: under ASan + UBSan instrumentation
# GCC spends most of the build optimising and writing debug info, and this build was two thirds
# of `make test` (figures: docs/decisions.md). -O1 is what the ASan documentation recommends; -g1
# keeps the line tables, so reports still name file:line for every frame (frame pointers stay,
# for the fast unwinder). -O0 would build faster still but slow the d2d runs of the tests it makes.
ASAN_CXX_FLAGS ?= -O1 -g1 -DNDEBUG
test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(ASAN_CXX_FLAGS)" -DD2D_SANITIZE=ON -DD2D_BUILD_BENCH=OFF >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS) \
	  -E 'PostgresFaults|ServeTest|ServeFreshness|browser_'

# The container image: deploy/Dockerfile built with podman from base images made by debootstrap
# (no registry needed; the tarball is cached in $(BUILD)/image), then smoke-tested: --version names
# the commit, a run into PostgreSQL on loopback, serve's HEALTHCHECK, a non-root user.
test-image: deps
	@bash scripts/install-deps.sh image
	bash tests/image/test_image.sh $(BUILD)

# libFuzzer on the decoder (clang), ASan + UBSan, for a bounded time.
fuzz: deps
	CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DD2D_FUZZ=ON \
	  -DD2D_BUILD_TESTS=OFF -DD2D_WARNINGS_AS_ERRORS=OFF >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target decoder_fuzz
	mkdir -p $(BUILD_FUZZ)/corpus
	@status=0; $(BUILD_FUZZ)/tests/fuzz/decoder_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -print_final_stats=1 $(BUILD_FUZZ)/corpus tests/fuzz/seeds > $(BUILD_FUZZ)/fuzz.log 2>&1 || status=$$?; \
	  tail -n 8 $(BUILD_FUZZ)/fuzz.log; \
	  if [ $$status -ne 0 ]; then echo "fuzz: decoder_fuzz failed, see $(BUILD_FUZZ)/fuzz.log"; grep -A30 ERROR $(BUILD_FUZZ)/fuzz.log | head -60; fi; \
	  exit $$status

demo: build
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BUILD)/d2d generate --out $(DEMO_DIR)/source --date $(DEMO_DATE) --vehicles 100 --breaks --bad-ratio 0.002
	$(BUILD)/d2d run --source $(DEMO_DIR)/source --lake $(DEMO_DIR)/lake --warehouse $(DEMO_DIR)/warehouse.db --date $(DEMO_DATE)
	@echo
	@echo "Average distance per operating period (breaks left out), lake date $(DEMO_DATE):"
	@$(BUILD)/d2d report --warehouse $(DEMO_DIR)/warehouse.db

# clang-tidy 14 does not know -std=c++23, so it reads a compile database made for clang++ (c++2b).
lint: deps
	git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror
	CXX=clang++ cmake -S . -B build-tidy -G Ninja -DD2D_BUILD_TESTS=OFF >/dev/null
	git ls-files 'src/*.cpp' | xargs -P $(JOBS) -n 4 clang-tidy -p build-tidy --quiet

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

bench: build
	bash bench/run.sh

# Fetching a lake date from S3 (s3rver on loopback): d2d vs `aws s3 cp --recursive`.
bench-s3: build
	bash bench/s3_fetch.sh

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) build-tidy $(DEMO_DIR)
