# Line and branch coverage of core/ by the hosted tests (gcc --coverage,
# gcovr), and the check that every panic site of core/ is reached.
#
#   make coverage    build everything below in build/coverage, run it, write
#                    build/coverage/index.html (per-file, annotated),
#                    build/coverage/summary.txt (line and branch % per file
#                    of core/), build/coverage/panic-sites.txt, and fail
#                    listing the panic() call sites no test reached
#                    (tests/coverage/panic_sites.py)
#
# What runs, each against the core built -O0 --coverage, no sanitizers:
#   unit tests (Criterion)          default pools, as `make test-unit`
#   the hosted demo                 default pools
#   the differential model runner   MODEL_POOLS, COV_MODEL_CALLS calls, 1 job
#                                   (the ctypes library; forked workers
#                                   would not write their counts)
#   the concurrency stress          stress pools and the lock hook
#   the fuzz harness, without       fuzz pools: the seed corpus, then
#   libFuzzer (tests/fuzz/          build/fuzz/corpus (what `make fuzz` /
#   fuzz_main.c)                    test-fuzz found), then seeded
#                                   mutations, COV_FUZZ_SECONDS in all
# A core built with different pool sizes is a different object: each set
# has its own directory, and gcovr merges their counts per source line.

COVB := $(BUILD)/coverage
COV_MODEL_CALLS ?= 20000
COV_FUZZ_SECONDS ?= 60
COV_FLAGS := -O0 -g --coverage -fprofile-update=atomic -DCV_DEBUG -DCV_HOSTED
COV_EXT_CFLAGS = -std=gnu11 $(CORE_INC) -Iarch/hosted -Itests/support \
	-Itests/harness $(CORE_WARN) -Wno-missing-prototypes -pthread

# $(1): set directory, $(2): extra flags
define cov_set
$(1)/core/%.o: core/%.c | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	@echo "  CC-COV  $$<"
	@$$(CC) $$(CORE_FREESTANDING) $$(COV_FLAGS) $(2) -MMD -MP -c $$< -o $$@
$(1)/ext/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	@echo "  CC-COV  $$<"
	@$$(CC) $$(COV_EXT_CFLAGS) $$(COV_FLAGS) $(2) -MMD -MP -c $$< -o $$@
endef

COV_HOSTED_SRCS = $(sort $(wildcard arch/hosted/*.c crypto/*.c))
cov_core = $(patsubst %.c,$(1)/%.o,$(CORE_SRCS))
cov_ext = $(patsubst %.c,$(1)/ext/%.o,$(2))

# Unit tests and the demo: the pools of `make hosted`.
$(eval $(call cov_set,$(COVB)/unit,))
COV_UNIT_BIN := $(COVB)/unit/unit-tests
$(COV_UNIT_BIN): $(call cov_core,$(COVB)/unit) \
		$(call cov_ext,$(COVB)/unit,$(COV_HOSTED_SRCS) $(UNIT_SRCS))
	$(CC) --coverage -o $@ $^ -lcriterion -lsodium -pthread
COV_DEMO_SRCS := $(wildcard arch/hosted/demo/run_demo.c)
COV_DEMO_BIN := $(if $(COV_DEMO_SRCS),$(COVB)/unit/run-demo)
$(COVB)/unit/run-demo: $(call cov_core,$(COVB)/unit) \
		$(call cov_ext,$(COVB)/unit,$(COV_HOSTED_SRCS) $(COV_DEMO_SRCS))
	$(CC) --coverage -o $@ $^ -lsodium -pthread

# The model runner's library (as mk/model.mk builds it, -fPIC).
$(eval $(call cov_set,$(COVB)/model,$$(MODEL_POOLS) -fPIC))
COV_MODEL_LIB := $(COVB)/model/libcorevisor-model.so
$(COV_MODEL_LIB): $(call cov_core,$(COVB)/model) \
		$(call cov_ext,$(COVB)/model,$(COV_HOSTED_SRCS) tests/model/cv_dump.c)
	$(CC) --coverage -shared -o $@ $^ -lsodium -pthread

# The stress test (its pools and the lock hook).
$(eval $(call cov_set,$(COVB)/stress,$$(STRESS_POOLS) -DCV_STRESS_TRACE))
COV_STRESS_BIN := $(COVB)/stress/stress
$(COV_STRESS_BIN): $(call cov_core,$(COVB)/stress) \
		$(call cov_ext,$(COVB)/stress,$(COV_HOSTED_SRCS) \
		tests/harness/harness.c tests/stress/stress.c)
	$(CC) --coverage -o $@ $^ -lsodium -pthread

# The fuzz harness with its stand-alone driver (its pools).
$(eval $(call cov_set,$(COVB)/fuzz,$$(FUZZ_POOLS)))
COV_FUZZ_BIN := $(COVB)/fuzz/fuzz-driver
$(COV_FUZZ_BIN): $(call cov_core,$(COVB)/fuzz) \
		$(call cov_ext,$(COVB)/fuzz,$(COV_HOSTED_SRCS) \
		tests/harness/harness.c tests/fuzz/fuzz_hvc.c tests/fuzz/fuzz_main.c)
	$(CC) --coverage -o $@ $^ -lsodium -pthread

COV_BINS = $(COV_UNIT_BIN) $(COV_DEMO_BIN) $(COV_MODEL_LIB) $(COV_STRESS_BIN) \
	$(COV_FUZZ_BIN)
COV_FUZZ_INPUTS = tests/fuzz/corpus $(wildcard $(FZ)/corpus)
COV_GCOVR = gcovr --root . --filter 'core/' --exclude-unreachable-branches \
	--exclude-throw-branches $(COVB)

coverage: $(COV_BINS)
	@find $(COVB) -name '*.gcda' -delete
	@echo "coverage: unit tests"
	@$(COV_UNIT_BIN) --jobs 2 > $(COVB)/unit.log 2>&1 || \
		echo "coverage: unit tests failed (see $(COVB)/unit.log)"
	@if [ -n "$(COV_DEMO_BIN)" ]; then echo "coverage: demo"; \
	  $(COV_DEMO_BIN) > $(COVB)/demo.log 2>&1 || \
	  echo "coverage: the demo failed (see $(COVB)/demo.log)"; fi
	@echo "coverage: model runner ($(COV_MODEL_CALLS) calls)"
	@$(PYTHON) tests/model/diff_runner.py --lib $(COV_MODEL_LIB) \
		--calls $(COV_MODEL_CALLS) --seed 1 --jobs 1 --quiet \
		> $(COVB)/model.log 2>&1 || \
		echo "coverage: the model runner failed (see $(COVB)/model.log)"
	@echo "coverage: stress"
	@$(COV_STRESS_BIN) -e 2 -p 4 -n 1000 -s 1 > $(COVB)/stress.log 2>&1 || \
		echo "coverage: stress failed (see $(COVB)/stress.log)"
	@echo "coverage: fuzz inputs and mutations, $(COV_FUZZ_SECONDS) s"
	@$(COV_FUZZ_BIN) -t $(COV_FUZZ_SECONDS) -s 1 $(COV_FUZZ_INPUTS) \
		> $(COVB)/fuzz.log 2>&1 || \
		echo "coverage: fuzz driver failed (see $(COVB)/fuzz.log)"
	@$(COV_GCOVR) --html --html-details -o $(COVB)/index.html
	@$(COV_GCOVR) --json -o $(COVB)/coverage.json
	@$(COV_GCOVR) --branches --txt -o $(COVB)/branches.txt
	@$(COV_GCOVR) --txt -o $(COVB)/lines.txt
	@{ echo "core/ coverage (make coverage)"; echo; \
	   echo "== lines"; cat $(COVB)/lines.txt; echo; \
	   echo "== branches"; cat $(COVB)/branches.txt; } > $(COVB)/summary.txt
	@grep -h '^TOTAL' $(COVB)/lines.txt | \
		awk '{print "coverage: core/ lines    " $$4 " (" $$3 "/" $$2 ")"}'
	@grep -h '^TOTAL' $(COVB)/branches.txt | \
		awk '{print "coverage: core/ branches " $$4 " (" $$3 "/" $$2 ")"}'
	@echo "coverage: report $(COVB)/index.html, summary $(COVB)/summary.txt"
	@$(PYTHON) tests/coverage/panic_sites.py $(COVB)/coverage.json \
		--out $(COVB)/panic-sites.txt

.PHONY: coverage
