# Races of issue 13 on 4 hosted CPUs (tests/stress/race.c), each a
# regression test: concurrent conflicting stage-2 fault answers must not
# swap a page the VM maps (fault), and a call in flight on another CPU at a
# halt must write nothing (halt), a host fault must not map a page given
# away meanwhile (hostfault, handover). Built in the stress test's two build
# directories (mk/stress.mk: TSan, ASan + UBSan, -DCV_STRESS_TRACE), from
# the same objects plus race.c.
#
#   make test-race     both builds (part of make test)

RACE_EXT_SRCS = $(sort $(wildcard arch/hosted/*.c crypto/*.c)) \
	tests/harness/harness.c tests/stress/race.c
RACE_TSAN := $(BUILD)/stress-tsan/race
RACE_ASAN := $(BUILD)/stress-asan/race

# $(1): build dir, $(2): sanitizer flags (as stress_build's)
define race_build
$(1)/race: $$(patsubst %.c,$(1)/%.o,$$(CORE_SRCS)) \
		$$(patsubst %.c,$(1)/ext/%.o,$$(RACE_EXT_SRCS))
	$$(CC) $(2) -o $$@ $$^ -lsodium -pthread
endef
$(eval $(call race_build,$(BUILD)/stress-tsan,$$(STRESS_TSAN)))
$(eval $(call race_build,$(BUILD)/stress-asan,$$(STRESS_ASAN)))

RACE_TSAN_ARGS ?= all -r 100
RACE_ASAN_ARGS ?= all -r 500
test-race: $(RACE_TSAN) $(RACE_ASAN)
	@echo "test-race: TSan build"
	@TSAN_OPTIONS="halt_on_error=1" $(RACE_TSAN) $(RACE_TSAN_ARGS)
	@echo "test-race: ASan+UBSan build"
	@ASAN_OPTIONS=detect_leaks=1 $(RACE_ASAN) $(RACE_ASAN_ARGS)

TESTS += test-race
.PHONY: test-race

# VM lifecycle stress (tests/stress/lifecycle.c): 1000 VMs started and
# destroyed on 4 hosted CPUs, invariants after every step; same builds.
LIFECYCLE_EXT_SRCS = $(sort $(wildcard arch/hosted/*.c crypto/*.c)) \
	tests/harness/harness.c tests/stress/lifecycle.c
LIFECYCLE_TSAN := $(BUILD)/stress-tsan/lifecycle
LIFECYCLE_ASAN := $(BUILD)/stress-asan/lifecycle

define lifecycle_build
$(1)/lifecycle: $$(patsubst %.c,$(1)/%.o,$$(CORE_SRCS)) \
		$$(patsubst %.c,$(1)/ext/%.o,$$(LIFECYCLE_EXT_SRCS))
	$$(CC) $(2) -o $$@ $$^ -lsodium -pthread
endef
$(eval $(call lifecycle_build,$(BUILD)/stress-tsan,$$(STRESS_TSAN)))
$(eval $(call lifecycle_build,$(BUILD)/stress-asan,$$(STRESS_ASAN)))

LIFECYCLE_VMS ?= 1000
# TSan runs a share of them: its barriers cost ~10 ms each on 2 cores.
LIFECYCLE_TSAN_VMS ?= 200
test-lifecycle-stress: $(LIFECYCLE_TSAN) $(LIFECYCLE_ASAN)
	@echo "test-lifecycle-stress: TSan build"
	@TSAN_OPTIONS="halt_on_error=1" $(LIFECYCLE_TSAN) -n $(LIFECYCLE_TSAN_VMS)
	@echo "test-lifecycle-stress: ASan+UBSan build"
	@ASAN_OPTIONS=detect_leaks=1 $(LIFECYCLE_ASAN) -n $(LIFECYCLE_VMS)

TESTS += test-lifecycle-stress
.PHONY: test-lifecycle-stress
