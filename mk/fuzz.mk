# Fuzzing the core's hypercall surface (tests/fuzz, tests/harness).
#
#   make fuzz FUZZ_SECONDS=300   a libFuzzer campaign (ASan + UBSan, the
#                                invariant checker as the oracle); new
#                                inputs go to build/fuzz/corpus, crashes to
#                                build/fuzz/crash-*
#   make test-fuzz               the short smoke run `make test` does
#                                (FUZZ_SMOKE_SECONDS, default 40)
#   make fuzz-corpus             rewrite tests/fuzz/corpus (and known/)
#                                from tests/fuzz/gen_corpus.py
#   make fuzz-known              the reproducers of core bugs it found
#   build/fuzz/fuzz-hvc crash-x  replay one input (CV_FUZZ_VERBOSE=1: every
#                                op as it runs)
#
# Everything is built with clang in build/fuzz: the core freestanding as in
# the top Makefile (clang's own headers), with small table pools so that
# inputs of a few dozen ops reach pool exhaustion.

FZ := $(BUILD)/fuzz
FZA = $(abspath $(FZ))
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 40
FUZZ_JOBS ?= 1
FUZZ_POOLS := -DPT_POOL_PER_VM=131072ULL -DPGD_OFFSET=4096ULL \
	-DPUD_OFFSET=16384ULL -DPMD_OFFSET=32768ULL \
	-DSMMU_PGD_OFFSET=131072ULL -DSMMU_PMD_OFFSET=147456ULL \
	-DSMMU_POOL_BYTES=180224ULL
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_OPT := -O1 -g -DCV_DEBUG -DCV_HOSTED $(FUZZ_POOLS) $(FUZZ_SAN)
# Coverage feedback comes from the core under test and the input decoder;
# the oracle (core/inv), the hosted machine and the glue run uninstrumented
# for speed (still with ASan and UBSan).
FUZZ_FEEDBACK := -fsanitize=fuzzer-no-link
$(FZ)/core/%.o: FUZZ_COV := $(FUZZ_FEEDBACK)
$(FZ)/core/inv/%.o: FUZZ_COV :=
$(FZ)/tests/fuzz/%.o: FUZZ_COV := $(FUZZ_FEEDBACK)
# Other areas' code may warn under clang: warnings stay warnings here.
FUZZ_WARN := $(CORE_WARN) -Wno-error
FUZZ_CLANG_INC = $(shell $(FUZZ_CC) -print-resource-dir)/include
FUZZ_CORE_CFLAGS = -std=gnu11 -ffreestanding -nostdinc \
	-isystem $(FUZZ_CLANG_INC) -fno-builtin -fno-common $(CORE_INC) \
	$(FUZZ_WARN) $(FUZZ_OPT)
FUZZ_EXT_CFLAGS := -std=gnu11 $(CORE_INC) -Iarch/hosted -Itests/harness \
	$(FUZZ_WARN) -Wno-missing-prototypes $(FUZZ_OPT) -pthread

FUZZ_EXT_SRCS = $(sort $(wildcard arch/hosted/*.c crypto/*.c)) \
	tests/harness/harness.c tests/fuzz/fuzz_hvc.c
FUZZ_OBJS = $(patsubst %.c,$(FZ)/%.o,$(CORE_SRCS)) \
	$(patsubst %.c,$(FZ)/%.o,$(FUZZ_EXT_SRCS))

$(FZ)/core/%.o: core/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CORE_CFLAGS) $(FUZZ_COV) -MMD -MP -c $< -o $@
$(FZ)/arch/%.o: arch/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_EXT_CFLAGS) -MMD -MP -c $< -o $@
$(FZ)/crypto/%.o: crypto/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_EXT_CFLAGS) -MMD -MP -c $< -o $@
$(FZ)/tests/%.o: tests/%.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_EXT_CFLAGS) $(FUZZ_COV) -MMD -MP -c $< -o $@

FUZZ_BIN := $(FZ)/fuzz-hvc
$(FUZZ_BIN): $(FUZZ_OBJS)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ -lsodium \
		-pthread

# FUZZ_JOBS > 1: libFuzzer's parallel jobs (each logs to build/fuzz/fuzz-N.log).
FUZZ_PAR = $(if $(filter-out 1,$(FUZZ_JOBS)),-jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS))
FUZZ_SEEDS := tests/fuzz/corpus
FUZZ_ARGS := -max_len=4096 -timeout=20 -rss_limit_mb=4096 \
	-print_final_stats=1 -detect_leaks=1
FUZZ_RUN = mkdir -p $(FZ)/corpus $(FZ)/artifacts && \
	cd $(FZ) && ASAN_OPTIONS=detect_leaks=1 ./fuzz-hvc $(FUZZ_ARGS) \
	-artifact_prefix=artifacts/ $(FUZZ_PAR) -max_total_time=$(1) corpus $(CURDIR)/$(FUZZ_SEEDS)

# The campaign's figures: runs, seconds, runs per second, coverage (edges
# and features of the last status line) and corpus (inputs/bytes).
FUZZ_REPORT := awk '/^\#[0-9]+.*cov: / {for (i = 1; i < NF; i++) { \
	if ($$i == "cov:") c = $$(i + 1); if ($$i == "ft:") f = $$(i + 1); \
	if ($$i == "corp:") k = $$(i + 1)}} \
	/Done [0-9]+ runs in/ {r=$$2; t=$$5} \
	END {if (t > 0) printf "fuzz: %d runs in %d s = %d runs/s, \
	coverage %s edges %s features, corpus %s (inputs/bytes), no \
	oracle failure\n", r, t, r / t, c, f, k}'

fuzz: $(FUZZ_BIN)
	@$(call FUZZ_RUN,$(FUZZ_SECONDS)) 2>&1 | tee $(FZA)/fuzz.log | \
		grep -E '^#[0-9]+ *(pulse|DONE|REDUCE|NEW)|Done|ERROR|==== ' | \
		tail -n 40; test $${PIPESTATUS[0]} -eq 0
	@$(FUZZ_REPORT) $(FZA)/fuzz.log

test-fuzz: $(FUZZ_BIN)
	@$(call FUZZ_RUN,$(FUZZ_SMOKE_SECONDS)) > $(FZA)/smoke.log 2>&1 || \
		{ grep -B2 -A60 -E '==== |ERROR|SUMMARY' $(FZA)/smoke.log | \
		  head -n 150; echo "test-fuzz: FAILED (log: $(FZA)/smoke.log)"; \
		  exit 1; }
	@$(FUZZ_REPORT) $(FZA)/smoke.log

fuzz-corpus:
	$(PYTHON) tests/fuzz/gen_corpus.py $(FUZZ_SEEDS)

# Core bugs the fuzzer found (tests/fuzz/known, fuzz_hvc.c known_issue):
# each reproducer must still fail with the oracle strict; one that passes
# means the bug is fixed (move it to the corpus, drop the known issue).
fuzz-known: $(FUZZ_BIN)
	@for f in tests/fuzz/known/*.bin; do \
	  [ -e "$$f" ] || { echo "fuzz-known: no open known issue"; continue; }; \
	  CV_FUZZ_STRICT=1 timeout 20 $(FUZZ_BIN) $$f > $(FZ)/known.log 2>&1; \
	  rc=$$?; if [ $$rc = 0 ]; then \
	    echo "fuzz-known: $$f passes now: fixed?"; \
	  elif [ $$rc = 124 ]; then \
	    echo "fuzz-known: $$f: still fails: runs for more than 20 s"; \
	  else echo "fuzz-known: $$f: still fails:"; \
	    grep '^==== [a-z]' $(FZ)/known.log | head -n 2; fi; \
	done

TESTS += test-fuzz
.PHONY: fuzz test-fuzz fuzz-corpus fuzz-known
