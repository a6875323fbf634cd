# Concurrency stress (tests/stress): 4 hosted CPUs calling into the core at
# once; invariants at quiescent points; the state equals a replay of the
# calls in the order the locks serialised them (tests/stress/stress.c).
# Two builds, each in its own directory with its own flags:
#   build/stress-tsan   ThreadSanitizer
#   build/stress-asan   AddressSanitizer + UndefinedBehaviorSanitizer
# Both compile core/ freestanding as the top Makefile does, plus
# -DCV_STRESS_TRACE (the lock hook in core/lock/ticket.c).
#
#   make test-stress     both builds, bounded (part of make test)
#   make soak-stress     longer: SOAK_STRESS_EPOCHS (100) epochs per build,
#                        STRESS_SOAK_SEED

STRESS_POOLS := -DPT_POOL_PER_VM=1048576ULL -DPGD_OFFSET=4096ULL \
	-DPUD_OFFSET=36864ULL -DPMD_OFFSET=102400ULL \
	-DSMMU_PGD_OFFSET=131072ULL -DSMMU_PMD_OFFSET=196608ULL \
	-DSMMU_POOL_BYTES=327680ULL
STRESS_COMMON := -O1 -g -DCV_DEBUG -DCV_HOSTED -DCV_STRESS_TRACE \
	$(STRESS_POOLS) -fno-omit-frame-pointer
# gcc warns that TSan does not model atomic_thread_fence (arch_pt_sync):
# the tables it orders are accessed with acquire/release atomics anyway.
STRESS_TSAN := -fsanitize=thread -Wno-tsan
STRESS_ASAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
STRESS_EXT_SRCS = $(sort $(wildcard arch/hosted/*.c crypto/*.c)) \
	tests/harness/harness.c tests/stress/stress.c

# $(1): build dir, $(2): sanitizer flags
define stress_build
$(1)/core/%.o: core/%.c | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CORE_FREESTANDING) $$(STRESS_COMMON) $(2) -MMD -MP -c $$< -o $$@
$(1)/ext/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(CC) -std=gnu11 $$(CORE_INC) -Iarch/hosted -Itests/harness \
		$$(CORE_WARN) -Wno-missing-prototypes $$(STRESS_COMMON) $(2) \
		-pthread -MMD -MP -c $$< -o $$@
$(1)/stress: $$(patsubst %.c,$(1)/%.o,$$(CORE_SRCS)) \
		$$(patsubst %.c,$(1)/ext/%.o,$$(STRESS_EXT_SRCS))
	$$(CC) $(2) -o $$@ $$^ -lsodium -pthread
endef

STB_TSAN := $(BUILD)/stress-tsan
STB_ASAN := $(BUILD)/stress-asan
$(eval $(call stress_build,$(STB_TSAN),$(STRESS_TSAN)))
$(eval $(call stress_build,$(STB_ASAN),$(STRESS_ASAN)))

# Bounded for make test (TSan: ~70k calls, 20-50 s; ASan: ~180k calls,
# 10-20 s, on 2 cores;
# lock spinning makes it vary).
STRESS_TSAN_ARGS ?= -e 4 -p 4 -n 2000 -s 1
STRESS_ASAN_ARGS ?= -e 10 -p 4 -n 2000 -s 1 -c 20
SOAK_STRESS_EPOCHS ?= 100
STRESS_SOAK_SEED ?= 1
stress: $(STB_TSAN)/stress $(STB_ASAN)/stress

test-stress: $(STB_TSAN)/stress $(STB_ASAN)/stress
	@echo "test-stress: TSan build"
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
		$(STB_TSAN)/stress $(STRESS_TSAN_ARGS) --self-test
	@echo "test-stress: ASan+UBSan build"
	@ASAN_OPTIONS=detect_leaks=1 $(STB_ASAN)/stress $(STRESS_ASAN_ARGS)

soak-stress: $(STB_TSAN)/stress $(STB_ASAN)/stress
	TSAN_OPTIONS="halt_on_error=1" $(STB_TSAN)/stress \
		-e $(SOAK_STRESS_EPOCHS) -p 8 -n 2000 -s $(STRESS_SOAK_SEED)
	ASAN_OPTIONS=detect_leaks=1 $(STB_ASAN)/stress \
		-e $(SOAK_STRESS_EPOCHS) -p 8 -n 2000 -s $(STRESS_SOAK_SEED)

TESTS += test-stress
.PHONY: stress test-stress soak-stress
