# Top-level entry points. CMake does the building; this file names the jobs.
#   make run    serve the example tokenizer app in production mode on port 5000
#   make test   build everything, run every test, then again under ASan+UBSan
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
PORT       ?= 5000

.PHONY: all deps build test test-fast test-asan run bench fuzz clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLAMS_WERROR=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 300

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCLAMS_WERROR=ON -DCLAMS_SANITIZE=ON

test-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) --timeout 600 -LE no-asan

test: test-fast test-asan

run: build
	$(BUILD)/examples/tokenizer/tokenizer --production --port $(PORT)

bench: build
	bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# make install [PREFIX=/usr/local] [DESTDIR=/staging]: libclams (shared and
# static), headers, the clams tool, clams.pc, the CMake package, man pages and
# the `clams new` templates. make docs: regenerate docs/api from the headers.
PREFIX ?= /usr/local
DOCS_PYTHON ?= /usr/bin/python3

.PHONY: install docs format

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# The C sources in the house style (.clang-format; devx_format checks it).
format:
	sh scripts/format.sh

docs:
	$(DOCS_PYTHON) scripts/gen-api-docs.py

# ---- reliability evidence (docs/reliability.md) --------------------------------
#   make fuzz   build the libFuzzer harnesses with clang (build-fuzz) and run each
#               for FUZZ_SECONDS
#   make soak   the production server with max_requests=1 under SOAK_CLIENTS
#               concurrent clients for SOAK_SECONDS, loopback only, with random
#               worker kills, SIGHUPs and bursts of idle connections (chaos)
FUZZ_SECONDS ?= 60
SOAK_SECONDS ?= 180
SOAK_CLIENTS ?= 8

.PHONY: soak

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run_fuzz.sh --build-dir build-fuzz

soak: build
	$(BUILD)/tests/soak/rel_soak $(BUILD)/tests/hostile/rel_app tests/hostile/base.mmif.json \
	  $(SOAK_SECONDS) $(SOAK_CLIENTS) chaos
