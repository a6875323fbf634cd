# Benchmarks (bench/): `make bench`, never part of `make test`.
#
#   make bench          hosted instruction counts (callgrind), heap
#                       allocations, metadata per page, image verification
#                       against raw libsodium, the EL2 hypercall round trip
#                       under QEMU -icount; writes bench/results.md and
#                       bench/verify.png
#   make bench-hosted   the hosted part only (no QEMU)
#
# The core is built again for benchmarks, optimised like a release:
# build/bench/opt (-O2, no sanitizers, no CV_DEBUG) and, for comparison,
# build/bench/debug (the same with CV_DEBUG's lock assertions). Same
# flags as the top Makefile otherwise: core/ freestanding with -nostdinc.

BENCH_DIR := $(BUILD)/bench
BENCH_DEPS_STAMP := $(BUILD)/.deps-bench
$(BENCH_DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p $(BUILD)
	@bash scripts/install-deps.sh bench
	@touch $@

BENCH_OPT := -O2 -g -DCV_HOSTED
BENCH_EXT_SRCS = $(sort $(wildcard arch/hosted/*.c crypto/*.c))

# $(1): build dir, $(2): extra flags (CV_DEBUG)
define bench_lib
$(1)/core/%.o: core/%.c | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CORE_FREESTANDING) $$(BENCH_OPT) $(2) -MMD -MP -c $$< -o $$@
$(1)/ext/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(CC) -std=gnu11 $$(CORE_INC) -Iarch/hosted $$(CORE_WARN) \
		-Wno-missing-prototypes $$(BENCH_OPT) $(2) -pthread \
		-MMD -MP -c $$< -o $$@
$(1)/libcorevisor.a: $$(patsubst %.c,$(1)/%.o,$$(CORE_SRCS)) \
		$$(patsubst %.c,$(1)/ext/%.o,$$(BENCH_EXT_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/hosted_bench: $(1)/ext/bench/hosted_bench.o $(1)/libcorevisor.a
	$$(CC) -o $$@ $$^ -lsodium -pthread -ldl
endef

$(eval $(call bench_lib,$(BENCH_DIR)/opt,))
$(eval $(call bench_lib,$(BENCH_DIR)/debug,-DCV_DEBUG))

# Debian's python3: python3-matplotlib is installed for it (a python3
# earlier in PATH, e.g. pyenv's, would not see it).
BENCH_PYTHON := /usr/bin/python3

BENCH_HOSTED := $(BENCH_DIR)/opt/hosted_bench $(BENCH_DIR)/debug/hosted_bench
BENCH_RUN := $(BENCH_PYTHON) bench/run_bench.py --opt $(BENCH_DIR)/opt/hosted_bench \
	--debug $(BENCH_DIR)/debug/hosted_bench --workdir $(BENCH_DIR)/runs \
	--out bench/results.md --png bench/verify.png

bench-hosted: $(BENCH_DEPS_STAMP) $(BENCH_HOSTED)
	$(BENCH_RUN)

.PHONY: bench bench-hosted
