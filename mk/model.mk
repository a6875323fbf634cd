# The executable spec model and the differential runner (tests/model).
#
#   make model        build/model/libcorevisor-model.so (core + crypto +
#                     arch/hosted + tests/model/cv_dump.c, -O2, no
#                     sanitizers, CV_DEBUG on) for the runner's ctypes
#   make test-model   >= 10^5 calls, C against the model (part of make test)
#   make test-mutant  the core with one owner check skipped
#                     (-DCV_MUTANT_SKIP_OWNER_CHECK) must be caught
#   make soak SOAK_CALLS=10000000 SOAK_SEED=1 SOAK_TIME=0   long campaign
#
# The model build uses small page-table pools so that sequences reach pool
# exhaustion: MODEL_POOLS (per VM: 4 level-1, 8 level-2 and 51 level-3
# table pages; the host's pool is sized from the memory map with an MMIO
# budget of 1 level-1, 2 level-2 and 4 level-3 pages; SMMU: 16 level-2
# and 32 level-3). The C reads them through constants.h, the runner from
# this file's MODEL_POOLS (never from the library): a C that used other
# sizes would differ from the model.
#
# test-model compares every call twice: with the spec plus every delta
# (no difference allowed) and with the spec as written (a difference only
# where a delta's condition held); every delta must fire.

MB := $(BUILD)/model
MODEL_POOLS ?= -DPT_POOL_PER_VM=262144ULL -DPGD_OFFSET=4096ULL \
	-DPUD_OFFSET=20480ULL -DPMD_OFFSET=53248ULL \
	-DSMMU_PGD_OFFSET=131072ULL -DSMMU_PMD_OFFSET=196608ULL \
	-DSMMU_POOL_BYTES=327680ULL -DHOST_MMIO_PGD_PAGES=1ULL \
	-DHOST_MMIO_PUD_PAGES=2ULL -DHOST_MMIO_PMD_PAGES=4ULL
MODEL_OPT := -O2 -g -fPIC -DCV_DEBUG -DCV_HOSTED $(MODEL_POOLS)
MODEL_SRCS_EXT = $(sort $(wildcard arch/hosted/*.c crypto/*.c)) tests/model/cv_dump.c

# $(1): build dir, $(2): extra flags (the mutant's define). Objects depend
# on a stamp holding the flags, so changing MODEL_POOLS rebuilds them.
define model_lib
$(1)/.flags: FORCE
	@mkdir -p $(1)
	@echo '$$(MODEL_OPT) $(2)' | cmp -s - $$@ || echo '$$(MODEL_OPT) $(2)' > $$@
$(1)/core/%.o: core/%.c $(1)/.flags | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CORE_FREESTANDING) $$(MODEL_OPT) $(2) -MMD -MP -c $$< -o $$@
$(1)/ext/%.o: %.c $(1)/.flags | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(CC) -std=gnu11 $$(CORE_INC) -Iarch/hosted $$(CORE_WARN) \
		-Wno-missing-prototypes $$(MODEL_OPT) $(2) -pthread -MMD -MP -c $$< -o $$@
$(1)/libcorevisor-model.so: $$(patsubst %.c,$(1)/%.o,$$(CORE_SRCS)) \
		$$(patsubst %.c,$(1)/ext/%.o,$$(MODEL_SRCS_EXT))
	$$(CC) -shared -o $$@ $$^ -lsodium -pthread
endef

$(eval $(call model_lib,$(MB),))
$(eval $(call model_lib,$(MB)-mutant,-DCV_MUTANT_SKIP_OWNER_CHECK))

MODEL_LIB := $(MB)/libcorevisor-model.so
MUTANT_LIB := $(MB)-mutant/libcorevisor-model.so
model: $(MODEL_LIB)

MODEL_CALLS ?= 100000
MODEL_SEED ?= 1
test-model: $(MODEL_LIB)
	$(PYTHON) tests/model/diff_runner.py --lib $(MODEL_LIB) \
		--calls $(MODEL_CALLS) --seed $(MODEL_SEED) --jobs 2 \
		--pools '$(MODEL_POOLS)' --require-deltas

# The runner must find the skipped check: a mismatch (exit 1) passes.
test-mutant: $(MUTANT_LIB)
	@if $(PYTHON) tests/model/diff_runner.py --lib $(MUTANT_LIB) \
		--calls 20000 --seed 1 --jobs 2 --quiet; then \
	  echo "test-mutant: FAILED: the broken core went unnoticed"; exit 1; \
	else echo "test-mutant: the runner caught the skipped owner check"; fi

SOAK_CALLS ?= 10000000
SOAK_SEED ?= 1
SOAK_TIME ?= 0
SOAK_JOBS ?= 2
soak: $(MODEL_LIB)
	$(PYTHON) tests/model/diff_runner.py --lib $(MODEL_LIB) \
		--calls $(SOAK_CALLS) --seed $(SOAK_SEED) --time $(SOAK_TIME) \
		--jobs $(SOAK_JOBS)

TESTS += test-model test-mutant
FORCE:
.PHONY: model test-model test-mutant soak FORCE
