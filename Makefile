# strata — one entry point for building, testing, demos and benchmarks.
#
#   make            build/strata.so (the SQLite extension) and build/libstrata.a
#   make demo       install what is missing, build, run examples/quickstart.sql
#   make examples   build and run every example in examples/ (each checks its results)
#   make test       everything CI runs: unit, crash and SQL tests, then the same
#                   again under ASan + UBSan (ends with a summary line)
#   make unit | sqltest | bench | asan | tsan | fuzz | crashtest | format | lint
#   make stress     readers, writers, flushes and compactions at once, for minutes
#                   (STRESS_SECONDS per test; make stress SANITIZE=thread under TSan)
#   make install PREFIX=/usr/local
#
# Sanitizers go through one variable: make suite SANITIZE=address (or thread);
# each sanitizer builds into its own directory.

SHELL := /bin/bash
CXX ?= g++
SANITIZE ?=
PREFIX ?= /usr/local
JOBS ?= 2

# SAN_RUNTIME: preloaded into programs that are not built with the sanitizer
# but load our sanitized extension (the sqlite3 shell in the SQL tests).
ifeq ($(SANITIZE),)
  BUILD ?= build
  OPT ?= -O2 -DNDEBUG
  SANFLAGS :=
  SAN_RUNTIME :=
else ifeq ($(SANITIZE),address)
  BUILD ?= build-asan
  OPT ?= -O1 -fno-omit-frame-pointer
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
  SAN_RUNTIME = $(shell $(CXX) -print-file-name=libasan.so)
else ifeq ($(SANITIZE),thread)
  BUILD ?= build-tsan
  OPT ?= -O1 -fno-omit-frame-pointer
  SANFLAGS := -fsanitize=thread
  SAN_RUNTIME = $(shell $(CXX) -print-file-name=libtsan.so)
else
  $(error SANITIZE must be empty, address or thread)
endif

CXXFLAGS ?=
CXXFLAGS += -std=c++20 -Wall -Wextra -g -fPIC -pthread $(OPT) $(SANFLAGS) -MMD -MP \
            -Iengine/include -Iengine -I. -I$(BUILD)/gen
LDFLAGS += -pthread $(SANFLAGS)

ENGINE_SRCS := $(sort $(wildcard engine/util/*.cc engine/table/*.cc engine/db/*.cc))
EXT_SRCS    := $(sort $(wildcard sqlite_ext/*.cc))
UNIT_SRCS   := $(sort $(wildcard unit_tests/*.cc))

ENGINE_OBJS := $(ENGINE_SRCS:%.cc=$(BUILD)/obj/%.o)
EXT_OBJS    := $(EXT_SRCS:%.cc=$(BUILD)/obj/%.o)
UNIT_OBJS   := $(UNIT_SRCS:%.cc=$(BUILD)/obj/%.o)

LIB        := $(BUILD)/libstrata.a
EXT_LIB    := $(BUILD)/libstrata_ext.a
SO         := $(BUILD)/strata.so
UNIT_BIN   := $(BUILD)/unit_tests
VERSION_H  := $(BUILD)/gen/strata_build_info.h

# Debian packages the project needs, and a cheap check for each (a file it installs).
DEPS_PKGS  := sqlite3 libsqlite3-dev libxxhash-dev libgtest-dev
DEPS_FILES := /usr/bin/sqlite3 /usr/include/sqlite3.h /usr/include/xxhash.h /usr/include/gtest/gtest.h
BENCH_PKGS := librocksdb-dev libleveldb-dev libbenchmark-dev
BENCH_FILES := /usr/include/rocksdb/db.h /usr/include/leveldb/db.h /usr/include/benchmark/benchmark.h

.PHONY: all deps bench-deps check-deps check-bench-deps unit sqltest suite test demo bench asan tsan \
        fuzz crashtest difftest stress format lint clean install

all: $(SO) $(LIB)

# ---- dependencies ---------------------------------------------------------
define install_pkgs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all of $(1) are installed"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; }; \
	else \
	  echo "deps: missing$$missing. Run as root:"; \
	  echo "  sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	fi
endef

deps:
	$(call install_pkgs,$(DEPS_PKGS))

bench-deps: deps
	$(call install_pkgs,$(BENCH_PKGS))

check-deps:
	@for f in $(DEPS_FILES); do [ -e $$f ] || { $(MAKE) --no-print-directory deps; exit $$?; }; done

check-bench-deps:
	@for f in $(BENCH_FILES); do [ -e $$f ] || { $(MAKE) --no-print-directory bench-deps; exit $$?; }; done

# ---- build ----------------------------------------------------------------
# The build info header changes only when the commit or flags do.
$(VERSION_H): FORCE | check-deps
	@mkdir -p $(dir $@)
	@v=$$(git describe --always --dirty 2>/dev/null || echo unknown); \
	 printf '#define STRATA_GIT_VERSION "%s"\n#define STRATA_BUILD_FLAGS "%s"\n' \
	   "$$v" "$(strip $(CXX) $(OPT) $(SANFLAGS))" > $@.tmp; \
	 cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
FORCE:

$(BUILD)/obj/%.o: %.cc | check-deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/obj/sqlite_ext/functions_admin.o: $(VERSION_H)

# XXH3 for wider vector units, picked at run time by util/hash.cc.
$(BUILD)/obj/engine/util/hash_avx2.o: CXXFLAGS += -mavx2
$(BUILD)/obj/engine/util/hash_avx512.o: CXXFLAGS += -mavx512f

$(LIB): $(ENGINE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(EXT_LIB): $(EXT_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The extension carries the engine inside it; only sqlite3_strata_init is exported.
# -z nodelete: the engine's background threads outlive any one connection, so
# the library must stay mapped after SQLite closes the last one that loaded it.
$(SO): $(EXT_OBJS) $(LIB)
	$(CXX) -shared -o $@ $(EXT_OBJS) $(LIB) $(LDFLAGS) -Wl,--exclude-libs,ALL \
	  -Wl,--version-script=sqlite_ext/exports.map -Wl,-z,nodelete

$(UNIT_BIN): $(UNIT_OBJS) $(EXT_LIB) $(LIB) $(SO)
	$(CXX) -o $@ $(UNIT_OBJS) $(EXT_LIB) $(LIB) $(LDFLAGS) -lgtest -lgtest_main -lsqlite3

# ---- tests ----------------------------------------------------------------
unit: $(UNIT_BIN)
	cd $(BUILD) && STRATA_EXT=$(CURDIR)/$(SO) ./unit_tests $(GTEST_ARGS)

sqltest: $(SO)
	STRATA_SQLITE_PRELOAD=$(SAN_RUNTIME) bash sql_tests/run.sh $(SO)

# Crash tests: children killed with SIGKILL at random moments, then checked
# (tools/crashtest/). `make test` runs a short round of each.
CRASH_ITERATIONS ?= 400
$(BUILD)/sql_crash_test: tools/crashtest/sql_crash_test.cc | check-deps
	$(CXX) -std=c++20 -O2 -g -Wall -Wextra -pthread $(SANFLAGS) -o $@ $< -lsqlite3 $(LDFLAGS)
$(BUILD)/engine_crash_test: tools/crashtest/engine_crash_test.cc $(LIB)
	$(CXX) -std=c++20 -O2 -g -Wall -Wextra -pthread $(SANFLAGS) -Iengine/include -Iengine -I. \
	  -o $@ $< $(LIB) $(LDFLAGS)

crashtest: $(BUILD)/sql_crash_test $(BUILD)/engine_crash_test $(SO)
	$(BUILD)/engine_crash_test --iterations=$(CRASH_ITERATIONS)
	$(BUILD)/sql_crash_test --ext=$(SO) --iterations=$(CRASH_ITERATIONS)

# The whole suite in one build (plain, or SANITIZE=address|thread).
suite: $(UNIT_BIN) $(SO) $(BUILD)/sql_crash_test $(BUILD)/engine_crash_test
	@echo "== unit tests ($(BUILD))"
	cd $(BUILD) && STRATA_EXT=$(CURDIR)/$(SO) ./unit_tests --gtest_brief=1 $(GTEST_ARGS)
	@echo "== crash tests (short; make crashtest runs long)"
	$(BUILD)/engine_crash_test --iterations=20
	$(BUILD)/sql_crash_test --ext=$(SO) --iterations=10
	@echo "== SQL tests"
	STRATA_SQLITE_PRELOAD=$(SAN_RUNTIME) bash sql_tests/run.sh $(SO)

# The SQL differential test at length (a short run is part of make test).
DIFF_OPS ?= 20000
difftest: $(UNIT_BIN) $(SO)
	cd $(BUILD) && STRATA_EXT=$(CURDIR)/$(SO) STRATA_DIFF_OPS=$(DIFF_OPS) \
	  ./unit_tests --gtest_filter='*Differential*'

# What CI runs: the suite, the examples (each checks its own results), then
# the suite again under ASan + UBSan. (TSan runs apart: make tsan.)
test:
	$(MAKE) --no-print-directory suite SANITIZE=
	$(MAKE) --no-print-directory examples SANITIZE=
	$(MAKE) --no-print-directory suite SANITIZE=address

# The concurrency stress tests at length (a short run of each is part of make test):
# unit_tests/db_stress_test.cc (engine) and sql_stress_test.cc (SQL connections).
STRESS_SECONDS ?= 300
stress: $(UNIT_BIN) $(SO)
	cd $(BUILD) && STRATA_EXT=$(CURDIR)/$(SO) STRATA_STRESS_SECONDS=$(STRESS_SECONDS) \
	  ./unit_tests --gtest_filter='*DBStressTest.*:SqlStressTest.*'

asan:
	$(MAKE) suite SANITIZE=address

tsan:
	$(MAKE) suite SANITIZE=thread

demo: all
	@echo "== sqlite3 $$(sqlite3 --version | cut -d' ' -f1) running examples/quickstart.sql"
	@rm -rf $(BUILD)/demo && mkdir -p $(BUILD)/demo
	cd $(BUILD)/demo && sqlite3 -cmd ".load $(CURDIR)/$(SO)" demo.db < $(CURDIR)/examples/quickstart.sql

# ---- examples -------------------------------------------------------------
# Builds and runs every example, each in a fresh temporary directory (kept if
# it fails). The Python one needs an interpreter whose sqlite3 module can load
# extensions: Debian's /usr/bin/python3 can, pyenv-style builds often cannot.
.PHONY: examples
EXAMPLES_PYTHON ?= /usr/bin/python3
$(BUILD)/examples/c_load_extension: examples/c_load_extension.c | check-deps
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -O2 -o $@ $< -lsqlite3
$(BUILD)/examples/cpp_embed: examples/cpp_embed.cc $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++20 -Wall -Wextra -O2 $(SANFLAGS) -Iengine/include -o $@ $< $(LIB) -pthread $(SANFLAGS)

examples: $(SO) $(BUILD)/examples/c_load_extension $(BUILD)/examples/cpp_embed
	@set -e; ext=$(CURDIR)/$(SO:.so=); ex=$(CURDIR)/examples; bin=$(CURDIR)/$(BUILD)/examples; \
	run() { d=$$(mktemp -d "$${TMPDIR:-/tmp}/strata-example-XXXXXX"); echo "### example $$1 (in $$d)"; \
	  if (cd "$$d" && sh -c "$$2"); then rm -rf "$$d"; else echo "FAILED: $$1 (kept $$d)"; exit 1; fi; }; \
	run quickstart.sql "sqlite3 -bail -cmd '.load $$ext' demo.db < $$ex/quickstart.sql"; \
	run analytics.sql "sqlite3 -cmd '.load $$ext' events.db < $$ex/analytics.sql"; \
	run python_sqlite3.py "$(EXAMPLES_PYTHON) $$ex/python_sqlite3.py $$ext"; \
	run c_load_extension "$$bin/c_load_extension $$ext"; \
	run cpp_embed "$$bin/cpp_embed"; \
	echo "examples: all 5 passed"

# ---- fuzzing --------------------------------------------------------------
# libFuzzer targets (clang, ASan + UBSan) in fuzz/, built into build-fuzz/; each runs for
# FUZZ_SECONDS and any crash or broken invariant fails the target (fuzz/README.md).
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh

# ---- benchmarks -----------------------------------------------------------
BENCH_CXXFLAGS := -std=c++20 -Wall -Wextra -O2 -DNDEBUG -g -pthread -Iengine/include -Iengine -I.
$(BUILD)/engine_bench: $(wildcard bench/engine_bench*.cc bench/*.h) $(LIB) | check-bench-deps
	$(CXX) $(BENCH_CXXFLAGS) -o $@ $(filter %.cc,$^) $(LIB) -lrocksdb -lleveldb -pthread

$(BUILD)/sql_bench: bench/sql_bench.cc $(LIB) | check-bench-deps
	$(CXX) $(BENCH_CXXFLAGS) -o $@ $< $(LIB) -lsqlite3 -pthread

# Engine level (strata, RocksDB, LevelDB), then SQL level (strata's vtab,
# native SQLite tables, a no-op vtab and the bare engine). Flags through
# BENCH_ARGS and SQL_BENCH_ARGS; results are recorded in docs/benchmarks.md.
bench: $(BUILD)/engine_bench $(BUILD)/sql_bench $(SO)
	$(BUILD)/engine_bench $(BENCH_ARGS)
	$(BUILD)/sql_bench --ext=$(SO) $(SQL_BENCH_ARGS)

# ---- housekeeping ---------------------------------------------------------
format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

lint:
	clang-format --dry-run --Werror $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-asan build-tsan build-fuzz

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/strata
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libstrata.a
	install -m 0755 $(SO) $(DESTDIR)$(PREFIX)/lib/strata.so
	install -m 0644 engine/include/strata/*.h $(DESTDIR)$(PREFIX)/include/strata/

-include $(ENGINE_OBJS:.o=.d) $(EXT_OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
