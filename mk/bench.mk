# Benchmarks (bench/): `make bench`, never part of `make test`.
#
#   make bench          hosted instruction counts (callgrind), heap
#                       allocations, metadata per page, image verification
#                       against raw libsodium, the EL2 hypercall round trip
#                       and guest exits under QEMU -icount; writes
#                       bench/results.md and bench/verify.png
#   make bench-hosted   the hosted part only (no QEMU)
#   make bench-scaling  bench/scaling.md, bench/scaling.png: hypercalls,
#                       guest exits and host faults on 1-8 hosted CPUs
#                       (instructions, lock acquisitions, spins, global
#                       lock hold times), reserved memory by part
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
	$$(CC) -std=gnu11 $$(CORE_INC) -Iarch/hosted -Itests/harness \
		$$(CORE_WARN) -Wno-missing-prototypes $$(BENCH_OPT) $(2) -pthread \
		-MMD -MP -c $$< -o $$@
$(1)/libcorevisor.a: $$(patsubst %.c,$(1)/%.o,$$(CORE_SRCS)) \
		$$(patsubst %.c,$(1)/ext/%.o,$$(BENCH_EXT_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/hosted_bench: $(1)/ext/bench/hosted_bench.o $(1)/libcorevisor.a
	$$(CC) -o $$@ $$^ -lsodium -pthread -ldl
$(1)/scaling_bench: $(1)/ext/bench/scaling_bench.o \
		$(1)/ext/tests/harness/harness.o $(1)/libcorevisor.a
	$$(CC) -o $$@ $$^ -lsodium -pthread -ldl
endef

$(eval $(call bench_lib,$(BENCH_DIR)/opt,))
$(eval $(call bench_lib,$(BENCH_DIR)/debug,-DCV_DEBUG))
# The scaling benchmark's lock counters (cv/lock.h): never in a shipped build.
$(eval $(call bench_lib,$(BENCH_DIR)/stats,-DCV_LOCK_STATS))

# Debian's python3: python3-matplotlib is installed for it (a python3
# earlier in PATH, e.g. pyenv's, would not see it).
BENCH_PYTHON := /usr/bin/python3

BENCH_HOSTED := $(BENCH_DIR)/opt/hosted_bench $(BENCH_DIR)/debug/hosted_bench
BENCH_RUN := $(BENCH_PYTHON) bench/run_bench.py --opt $(BENCH_DIR)/opt/hosted_bench \
	--debug $(BENCH_DIR)/debug/hosted_bench --workdir $(BENCH_DIR)/runs \
	--out bench/results.md --png bench/verify.png

bench-hosted: $(BENCH_DEPS_STAMP) $(BENCH_HOSTED)
	$(BENCH_RUN)

# Scaling across CPUs, memory and boot cost (bench/scaling_bench.py):
# bench/scaling.md and bench/scaling.png.
BENCH_SCALING := $(BENCH_DIR)/opt/scaling_bench $(BENCH_DIR)/stats/scaling_bench
BENCH_SCALING_RUN = $(BENCH_PYTHON) bench/scaling_bench.py \
	--opt $(BENCH_DIR)/opt/scaling_bench \
	--stats $(BENCH_DIR)/stats/scaling_bench \
	--workdir $(BENCH_DIR)/runs/scaling --out bench/scaling.md \
	--png bench/scaling.png --json $(BENCH_DIR)/scaling.json
bench-scaling: $(BENCH_DEPS_STAMP) $(BENCH_SCALING)
	$(BENCH_SCALING_RUN)

.PHONY: bench bench-hosted bench-scaling

# --- EL2 under QEMU -icount: bench copies of corevisor's image (the same
# objects as build/aarch64/corevisor.elf plus bench/qemu/el2_*.{c,S},
# linked with --wrap=host_smc), one as mk/aarch64.mk builds it (CV_DEBUG
# on) and one without CV_DEBUG (build/bench/aarch64/nd), and a bench host
# (host/platform without its main.c, plus bench/qemu/host_bench.c).
BA := $(BENCH_DIR)/aarch64
BENCH_EL2_OBJS := $(BA)/el2_bench.o $(BA)/el2_bare.o
$(BA)/el2_bench.o: bench/qemu/el2_bench.c $(A_SYSINC)/.stamp
	@mkdir -p $(dir $@)
	$(A_CC) $(A_EXT_CFLAGS) -Iarch/aarch64 -MMD -MP -c $< -o $@
$(BA)/el2_bare.o: bench/qemu/el2_bare.S | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(A_CC) $(A_MACHINE) $(A_BM_INC) -Iarch/aarch64 -MMD -MP -c $< -o $@

BA_ND := $(BA)/nd
$(BA_ND)/core/%.o: core/%.c | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(A_CC) $(filter-out -DCV_DEBUG,$(A_CFLAGS)) $(A_CORE_LTO) -MMD -MP -c $< -o $@
$(BA_ND)/arch/%.o: arch/%.c $(A_SYSINC)/.stamp
	@mkdir -p $(dir $@)
	$(A_CC) $(filter-out -DCV_DEBUG,$(A_EXT_CFLAGS)) -MMD -MP -c $< -o $@
$(BA_ND)/crypto/%.o: crypto/%.c $(A_SYSINC)/.stamp
	@mkdir -p $(dir $@)
	$(A_CC) $(filter-out -DCV_DEBUG,$(A_EXT_CFLAGS)) \
		-Wno-missing-prototypes -MMD -MP -c $< -o $@
$(BA_ND)/arch/%.o: arch/%.S | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(A_CC) $(A_MACHINE) $(A_BM_INC) -MMD -MP -c $< -o $@
BENCH_ND_OBJS = $(patsubst $(AB)/%,$(BA_ND)/%,$(A_ARCH_OBJS) $(A_CORE_OBJS) \
	$(A_CRYPTO_OBJS))

# $(1): output ELF, $(2): corevisor's objects
define bench_el2_elf
$(1): $(2) $$(BENCH_EL2_OBJS) $$(A_BM_STRING) arch/aarch64/link.ld
	$$(A_CC) $$(A_LDFLAGS) -T arch/aarch64/link.ld -Wl,--wrap=host_smc \
		-o $$@ $(2) $$(BENCH_EL2_OBJS) $$(A_BM_STRING) \
		$$(A_LIBDIR)/libsodium.a $$(A_LIBDIR)/libfdt.a $$(A_LIBGCC)
endef
$(eval $(call bench_el2_elf,$(BA)/corevisor-bench.elf,$(A_ARCH_OBJS) \
	$(A_CORE_OBJS) $(A_CRYPTO_OBJS)))
$(eval $(call bench_el2_elf,$(BA)/corevisor-bench-nd.elf,$(BENCH_ND_OBJS)))

$(BA)/host_bench.o: bench/qemu/host_bench.c | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(A_CC) $(A_HOST_CFLAGS) -MMD -MP -c $< -o $@
BENCH_HOST_OBJS = $(filter-out $(AB)/host/platform/main.o,$(A_HOST_OBJS)) \
	$(BA)/host_bench.o
$(BA)/host-bench.elf: $(BENCH_HOST_OBJS) host/platform/link.ld
	$(A_CC) $(A_LDFLAGS) -T host/platform/link.ld -o $@ $(BENCH_HOST_OBJS) \
		$(A_LIBGCC)

# The bench guest (bench/qemu/guest_bench.S): signed with the image key
# the QEMU tests use (mk/aarch64.mk), loaded by the runner like them.
$(BA)/guest_bench.o: bench/qemu/guest_bench.S | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(A_CC) -march=armv8-a -MMD -MP -c $< -o $@
$(BA)/guest_bench.elf: $(BA)/guest_bench.o bench/qemu/guest_bench.ld \
		guest/common/link.ld
	$(A_CC) $(A_LDFLAGS) -T bench/qemu/guest_bench.ld -o $@ $<
$(BA)/guest_bench.bin: $(BA)/guest_bench.elf
	$(A_CROSS)objcopy -O binary $< $@
$(BA)/guest_bench.img: $(BA)/guest_bench.bin $(A_KEYS)/image.sk
	$(BUILD)/tools/cv-sign sign $(A_KEYS)/image.sk \
		$(call A_GUEST_LOAD,$(BA)/guest_bench.elf) \
		$(call A_GUEST_ENTRY,$(BA)/guest_bench.elf) $< $@

# The EL2 boot protocol's cost per MiB: the bench guest padded with zeros
# to 1, 2, 4 and 8 MiB, signed for the same load address and entry.
BENCH_BOOT_MIB := 1 2 4 8
BENCH_BOOT_IMGS := $(patsubst %,$(BA)/boot-%m.img,$(BENCH_BOOT_MIB))
$(BA)/boot-%m.bin: $(BA)/guest_bench.bin
	cp $< $@
	truncate -s $*M $@
$(BA)/boot-%m.img: $(BA)/boot-%m.bin $(A_KEYS)/image.sk
	$(BUILD)/tools/cv-sign sign $(A_KEYS)/image.sk \
		$(call A_GUEST_LOAD,$(BA)/guest_bench.elf) \
		$(call A_GUEST_ENTRY,$(BA)/guest_bench.elf) $< $@

BENCH_QEMU_JSON := $(BA)/qemu.json
bench-qemu: $(BA)/corevisor-bench.elf $(BA)/corevisor-bench-nd.elf \
		$(BA)/host-bench.elf $(BA)/guest_bench.img $(BENCH_BOOT_IMGS)
	$(BENCH_PYTHON) bench/qemu_bench.py --corevisor $(BA)/corevisor-bench.elf \
		--corevisor-nodebug $(BA)/corevisor-bench-nd.elf \
		--host $(BA)/host-bench.elf --guest $(BA)/guest_bench.img \
		$(patsubst %,--boot-image $(BA)/boot-%m.img,$(BENCH_BOOT_MIB)) \
		--image-key $(A_KEYS)/image.pk --workdir $(BA)/runs \
		--out $(BENCH_QEMU_JSON)

# A failed QEMU part (e.g. the EL2 port mid-change) is reported in
# results.md as not measured; the hosted part still runs.
bench: $(BENCH_DEPS_STAMP) $(BENCH_HOSTED) $(BENCH_SCALING)
	@rm -f $(BENCH_QEMU_JSON)
	@$(MAKE) --no-print-directory bench-qemu || \
		echo "bench: the QEMU part failed; results.md says so"
	$(BENCH_RUN) --qemu $(BENCH_QEMU_JSON)
	$(BENCH_SCALING_RUN)

.PHONY: bench-qemu
