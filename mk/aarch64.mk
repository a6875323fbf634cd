# The EL2 port: corevisor's EL2 image (arch/aarch64 + core/ + crypto/,
# linked with Debian's arm64 libsodium.a and libfdt.a), the bare-metal EL1
# host kernel (host/), the signed sample guests (guest/), and the QEMU runs
# that test them (tests/qemu, docs/el2-port.md).
#
#   make aarch64          corevisor.elf, host.elf and the signed guests
#   make run-baremetal    corevisor + bare-metal host + 2 VMs, log shown
#                         (make run is the Linux host: mk/linux.mk)
#   make test-qemu        every QEMU test (boot, VMs, bad images, attacks)
#   make debug            make run's machine stopped under QEMU's gdb stub

AB := $(BUILD)/aarch64
A_CROSS ?= aarch64-linux-gnu-
# One short line per build step; V=1 shows the commands.
A_Q := $(if $(V),,@)
A_CC := $(A_CROSS)gcc
A_LIBDIR := /usr/lib/aarch64-linux-gnu
A_DEPS_STAMP := $(BUILD)/.deps-aarch64

$(A_DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p $(BUILD)
	@bash scripts/install-deps.sh all
	@touch $@

# Evaluated lazily: the cross compiler may only exist after the deps step.
A_GCC_INC = $(shell $(A_CC) -print-file-name=include)
A_LIBGCC = $(shell $(A_CC) -print-libgcc-file-name)

# Page-table pools, all sized at boot from the memory map. The host's
# (core/pt host_pool_geometry): one table per 512 GiB / 1 GiB / 2 MiB of
# RAM at levels 1 / 2 / 3, plus 8 / 32 / 128 tables for MMIO
# (HOST_MMIO_*_PAGES, constants.h): 2.7 MiB on a 1 GiB board, 6.7 MiB on
# 3 GiB. Each VM's and the core's (16 of them, CV_VM_POOLS_FROM_RAM:
# vm_pool_geometry): one table per 512 GiB / 1 GiB / 2 MiB of all the RAM
# (a VM given all of it, page by page), plus 4 / 8 / 64 for MMIO and
# partial 2 MiB runs (VM_MMIO_*_PAGES): 2.3 MiB each on a 1 GiB board,
# 8.3 MiB on 4 GiB.
A_POOLS := -DCV_VM_POOLS_FROM_RAM

A_MACHINE := -march=armv8-a -mgeneral-regs-only -mstrict-align -fno-pie \
	-mno-outline-atomics \
	-fno-stack-protector -fno-tree-loop-distribute-patterns -fno-common \
	-ffunction-sections -fdata-sections
A_CFLAGS = -std=gnu11 -O2 -g -ffreestanding -nostdinc -isystem $(A_GCC_INC) \
	$(A_MACHINE) $(A_POOLS) -DCV_DEBUG $(CORE_INC) $(CORE_WARN)
# arch/ and crypto/ also see the libc declarations the EL2 image provides
# and the arm64 libfdt/libsodium headers (linked into $(AB)/sysinc).
A_SYSINC := $(AB)/sysinc
A_EXT_CFLAGS = $(A_CFLAGS) -Iarch/aarch64/include \
	-isystem arch/aarch64/libc/include $(A_BM_INC) -isystem $(A_SYSINC)

$(A_SYSINC)/.stamp: | $(A_DEPS_STAMP)
	@mkdir -p $(A_SYSINC)
	$(A_Q)ln -sfn /usr/include/libfdt.h /usr/include/fdt.h \
		/usr/include/libfdt_env.h /usr/include/sodium.h \
		/usr/include/sodium $(A_SYSINC)/
	@touch $@

A_ARCH_SRCS := $(sort $(wildcard arch/aarch64/*.c arch/aarch64/*.S))
A_CRYPTO_SRCS := $(sort $(wildcard crypto/*.c))
A_CORE_OBJS := $(patsubst %.c,$(AB)/%.o,$(CORE_SRCS))
A_ARCH_OBJS := $(patsubst %,$(AB)/%.o,$(basename $(A_ARCH_SRCS)))
A_CRYPTO_OBJS := $(patsubst %.c,$(AB)/%.o,$(A_CRYPTO_SRCS))

$(AB)/core/%.o: core/%.c | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-A64  $<"
	@$(A_CC) $(A_CFLAGS) $(A_CORE_LTO) -MMD -MP -c $< -o $@
$(AB)/arch/%.o: arch/%.c $(A_SYSINC)/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC-A64  $<"
	@$(A_CC) $(A_EXT_CFLAGS) -MMD -MP -c $< -o $@
$(AB)/arch/%.o: arch/%.S | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-A64  $<"
	@$(A_CC) $(A_MACHINE) $(A_BM_INC) -MMD -MP -c $< -o $@
$(AB)/crypto/%.o: crypto/%.c $(A_SYSINC)/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC-A64  $<"
	@$(A_CC) $(A_EXT_CFLAGS) -Wno-missing-prototypes -MMD -MP -c $< -o $@

# --- lib/baremetal: what the three bare-metal images share. string.c goes
# into each (EL2, host, guests), format.c into the two EL1 ones; compiled
# once with the EL2 machine flags (general registers only), so one object
# serves all. Its include/ is their <string.h> and the assembler macros
# (<baremetal/asm.h>).
A_BM_INC := -isystem lib/baremetal/include
A_BM_CFLAGS = -std=gnu11 -O2 -g -ffreestanding -nostdinc \
	-isystem $(A_GCC_INC) $(A_MACHINE) $(A_BM_INC) $(CORE_WARN)
A_BM_STRING := $(AB)/lib/baremetal/string.o
A_BM_FORMAT := $(AB)/lib/baremetal/format.o
$(AB)/lib/%.o: lib/%.c | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-A64  $<"
	@$(A_CC) $(A_BM_CFLAGS) -MMD -MP -c $< -o $@

A_CORE_LTO := -flto
A_LDFLAGS := -flto=auto -O2 $(A_MACHINE) -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--build-id=none \
	-Wl,--no-warn-rwx-segments -Wl,-z,noexecstack
COREVISOR_ELF := $(AB)/corevisor.elf
$(COREVISOR_ELF): $(A_ARCH_OBJS) $(A_CORE_OBJS) $(A_CRYPTO_OBJS) \
		$(A_BM_STRING) arch/aarch64/link.ld
	@echo "  LD-A64  $@"
	$(A_Q)$(A_CC) $(A_LDFLAGS) -T arch/aarch64/link.ld -Wl,-Map,$(AB)/corevisor.map \
		-o $@ $(A_ARCH_OBJS) $(A_CORE_OBJS) $(A_CRYPTO_OBJS) \
		$(A_BM_STRING) $(A_LIBDIR)/libsodium.a $(A_LIBDIR)/libfdt.a $(A_LIBGCC)

# --- The host: a bare-metal EL1 kernel. host/platform is the machine
# (boot, UART, PSCI, hypercall instructions); host/vmm the VM management
# that a later stage moves into a Linux module.
A_HOST_SRCS := $(sort $(wildcard host/platform/*.c host/platform/*.S \
	host/vmm/*.c))
A_HOST_OBJS := $(patsubst %,$(AB)/%.o,$(basename $(A_HOST_SRCS))) \
	$(A_BM_STRING) $(A_BM_FORMAT)
A_HOST_CFLAGS = -std=gnu11 -O2 -g -ffreestanding -nostdinc \
	-isystem $(A_GCC_INC) $(A_MACHINE) $(A_BM_INC) -Iinclude \
	-Ihost/include $(CORE_WARN)
$(AB)/host/%.o: host/%.c | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-A64  $<"
	@$(A_CC) $(A_HOST_CFLAGS) -MMD -MP -c $< -o $@
$(AB)/host/%.o: host/%.S | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-A64  $<"
	@$(A_CC) $(A_MACHINE) $(A_BM_INC) -MMD -MP -c $< -o $@
HOST_ELF := $(AB)/host.elf
$(HOST_ELF): $(A_HOST_OBJS) host/platform/link.ld
	@echo "  LD-A64  $@"
	$(A_Q)$(A_CC) $(A_LDFLAGS) -T host/platform/link.ld -o $@ $(A_HOST_OBJS) \
		$(A_LIBGCC)

# --- Sample guests (guest/): bare-metal EL1 programs, each its own ELF,
# raw payload and signed image. Keys are made once per build tree:
# image.sk/pk is what corevisor trusts (the runner puts image.pk in the
# DTB), untrusted.sk signs the wrong-key test's image.
A_GUESTS := primes vault irqs
A_KEYS := $(AB)/keys
A_GUEST_CFLAGS = -std=gnu11 -O2 -g -ffreestanding -nostdinc \
	-isystem $(A_GCC_INC) -march=armv8-a -mstrict-align -fno-pie \
	-fno-stack-protector -fno-tree-loop-distribute-patterns -fno-common \
	-ffp-contract=off -fno-math-errno $(A_BM_INC) -Iguest/common \
	$(CORE_WARN)
A_GUEST_COMMON := $(AB)/guest/common/start.o $(AB)/guest/common/lib.o \
	$(A_BM_STRING) $(A_BM_FORMAT)
$(AB)/guest/%.o: guest/%.c | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-A64  $<"
	@$(A_CC) $(A_GUEST_CFLAGS) -MMD -MP -c $< -o $@
$(AB)/guest/%.o: guest/%.S | $(A_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-A64  $<"
	@$(A_CC) -march=armv8-a $(A_BM_INC) -MMD -MP -c $< -o $@
A_GUEST_OBJS = $(patsubst guest/%.c,$(AB)/guest/%.o,$(wildcard guest/$(1)/*.c))
define A_GUEST_ELF
$(AB)/guest/$(1).elf: $(call A_GUEST_OBJS,$(1)) $(A_GUEST_COMMON) \
		guest/$(1)/link.ld guest/common/link.ld
	@echo "  LD-A64  $$@"
	$$(A_Q)$$(A_CC) $$(A_LDFLAGS) -T guest/$(1)/link.ld -o $$@ \
		$$(filter %.o,$$^) $$(A_LIBGCC)
endef
$(foreach g,$(A_GUESTS),$(eval $(call A_GUEST_ELF,$(g))))
$(AB)/guest/%.bin: $(AB)/guest/%.elf
	@echo "  OBJCOPY $@"
	$(A_Q)$(A_CROSS)objcopy -O binary $< $@
# The load address a guest is signed for is its linker script's; its
# vCPU 0 starts at _start (the signed entry, docs/image-format.md).
A_GUEST_LOAD = $$($(A_CROSS)nm $(1) | awk '/ __image_start$$/ {print "0x" $$1}')
A_GUEST_ENTRY = $$($(A_CROSS)nm $(1) | awk '/ _start$$/ {print "0x" $$1}')
$(A_KEYS)/image.sk: $(BUILD)/tools/cv-sign
	@mkdir -p $(dir $@)
	@echo "  KEYGEN  $@"
	$(A_Q)$(BUILD)/tools/cv-sign keygen $@ $(A_KEYS)/image.pk >/dev/null
$(A_KEYS)/untrusted.sk: $(BUILD)/tools/cv-sign
	@mkdir -p $(dir $@)
	@echo "  KEYGEN  $@"
	$(A_Q)$(BUILD)/tools/cv-sign keygen $@ $(A_KEYS)/untrusted.pk >/dev/null
$(AB)/guest/%.img: $(AB)/guest/%.bin $(A_KEYS)/image.sk
	@echo "  SIGN    $@"
	$(A_Q)$(BUILD)/tools/cv-sign sign $(A_KEYS)/image.sk \
		$(call A_GUEST_LOAD,$(AB)/guest/$*.elf) \
		$(call A_GUEST_ENTRY,$(AB)/guest/$*.elf) $< $@
# Attack images: one payload byte flipped after signing; signed by a key
# corevisor does not trust.
$(AB)/guest/%-tampered.img: $(AB)/guest/%.img
	@echo "  TAMPER  $@"
	$(A_Q)$(PYTHON) -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); \
		d[len(d) // 3] ^= 0x01; open(sys.argv[2], "wb").write(d)' $< $@
$(AB)/guest/%-untrusted.img: $(AB)/guest/%.bin $(A_KEYS)/untrusted.sk
	@echo "  SIGN    $@"
	$(A_Q)$(BUILD)/tools/cv-sign sign $(A_KEYS)/untrusted.sk \
		$(call A_GUEST_LOAD,$(AB)/guest/$*.elf) \
		$(call A_GUEST_ENTRY,$(AB)/guest/$*.elf) $< $@
# A second image for the vault's VM, 1 MiB above its load address (the
# same 2 MiB guest block): a data image (no entry) of 8 KiB.
$(AB)/guest/vault-extra.img: $(AB)/guest/vault.bin $(A_KEYS)/image.sk
	@echo "  SIGN    $@"
	$(A_Q)head -c 8192 $< > $(AB)/guest/vault-extra.bin
	$(A_Q)$(BUILD)/tools/cv-sign sign $(A_KEYS)/image.sk 0x48100000 none \
		$(AB)/guest/vault-extra.bin $@
A_GUEST_IMGS := $(patsubst %,$(AB)/guest/%.img,$(A_GUESTS))
guests: $(A_GUEST_IMGS)
.PRECIOUS: $(AB)/guest/%.elf $(AB)/guest/%.bin $(AB)/guest/%.o \
	$(AB)/guest/common/%.o

aarch64: $(COREVISOR_ELF) $(HOST_ELF) $(A_GUEST_IMGS)
EXTRA_ALL += aarch64

# --- QEMU runs. Every run goes through tests/qemu/run.py (timeout, serial
# capture, exit code, expected and forbidden lines).
QEMU_RUN := $(PYTHON) tests/qemu/run.py --corevisor $(COREVISOR_ELF) \
	--host $(HOST_ELF) --workdir $(AB)/runs

A_IMAGES := $(COREVISOR_ELF) $(HOST_ELF)
# The host's test mode: a word QEMU stores at 0x4fff0000 before boot
# (host/platform/main.c). A corevisor panic exits QEMU with status 3.
HOST_MODE = --word 0x4fff0000=$(1)

test-qemu-boot: $(A_IMAGES)
	$(QEMU_RUN) --name boot --smp 2 --exit 0 \
		--expect 'corevisor: EL2, 2 CPUs' \
		--expect 'corevisor: host entry' \
		--expect 'host: hello from EL1 (EL1' \
		--expect 'host: HVC_NOOP -> 0' \
		--expect 'host: REGISTER_KVM -> vmid 1' \
		--expect 'host: SAVE_CRYPT_VCPU sealed vm1 vcpu 0, host FP/SIMD registers kept' \
		--expect 'host: touched' \
		--expect 'host: cpu 1 up at EL1' \
		--expect 'host: powering off' \
		--forbid 'panic' --forbid 'host: FAIL'

# The host reads corevisor's image / writes its table pool: the stage-2
# fault reaches map_page_host, which refuses a COREVISOR page.
test-qemu-host-read-core: $(A_IMAGES)
	$(QEMU_RUN) --name host-read-core $(call HOST_MODE,1) --exit 3 \
		--expect 'host: reading corevisor' \
		--expect 'corevisor: panic: map_page_host: pfn 0x40200 owned by 16' \
		--forbid 'host: read 0x'
test-qemu-host-write-pool: $(A_IMAGES)
	$(QEMU_RUN) --name host-write-pool $(call HOST_MODE,2) --exit 3 \
		--expect 'host: writing corevisor' \
		--expect 'corevisor: panic: map_page_host: pfn 0x40400 owned by 16' \
		--forbid 'host: wrote the pool'

# The AEAD key and rng-seed reach corevisor through the DTB, which the host
# can read: corevisor replaces them first. The runner's key is 32 bytes of
# 0xa5, its seed 32 bytes of 0x5c.
test-qemu-dtb-scrub: $(A_IMAGES)
	$(QEMU_RUN) --name dtb-scrub $(call HOST_MODE,3) --exit 0 \
		--aead-key $(subst $(eval) ,,$(foreach i,1 2 3 4 5 6 7 8,a5a5a5a5)) \
		--rng-seed $(subst $(eval) ,,$(foreach i,1 2 3 4 5 6 7 8,5c5c5c5c)) \
		--expect 'host: AEAD key not in the DTB' \
		--expect 'host: rng-seed not in the DTB' --forbid 'visible'

# A bad hypercall argument panics with the call and the values.
test-qemu-bad-hvc: $(A_IMAGES)
	$(QEMU_RUN) --name bad-hvc $(call HOST_MODE,4) --exit 3 \
		--expect 'corevisor: panic: host_hvc: REGISTER_VCPU bad args 0x63' \
		--forbid 'host: returned'

# Host CPU_ON, CPU_OFF, CPU_ON again: each ON enters corevisor first.
test-qemu-cpu-reon: $(A_IMAGES)
	$(QEMU_RUN) --name cpu-reon $(call HOST_MODE,5) --exit 0 \
		--expect 'host: cpu 1 up at EL1' --expect 'host: cpu 1 is off' \
		--expect 'host: cpu 1 up at EL1' --expect 'host: powering off' \
		--forbid 'panic' --forbid 'FAIL'

# A 3 GiB board: the host touches every page of its RAM (all but
# corevisor's), then reads the high PCIe ECAM (MMIO above 4 GiB). The
# host's stage 2 maps its RAM in 2 MiB blocks from a pool sized from the
# memory map (a fixed 4 MiB pool of 4 KiB mappings ran out after ~1.9 GiB).
test-qemu-host-touch-3g: $(A_IMAGES)
	$(QEMU_RUN) --name host-touch-3g --mem 3G --timeout 180 $(call HOST_MODE,6) \
		--word 0x4fff0004=3072 --exit 0 \
		--expect 'corevisor:   RAM 0x40000000-0xffffffff' \
		--expect 'host: touching every page of RAM 0x40000000-0xffffffff' \
		--expect-re 'host: touched 7[0-9]{5} pages \(29[0-9]{2} MiB\)' \
		--expect 'host: PCIe ECAM at 0x4010000000: id 0x00081b36' \
		--expect 'host: powering off' \
		--forbid 'panic' --forbid 'host: FAIL'

# What a kernel's PSCI_FEATURES and SMCCC probes get (psci.c): the
# firmware's answer for the PSCI calls corevisor serves, NOT_SUPPORTED
# (-1) for others (CPU_FREEZE) and what QEMU's firmware lacks
# (SYSTEM_SUSPEND, SMCCC 1.1 and its workarounds); SMCCC 1.1 and
# ARCH_FEATURES from corevisor itself.
test-qemu-smccc: $(A_IMAGES)
	$(QEMU_RUN) --name smccc $(call HOST_MODE,8) --exit 0 \
		--expect 'host: PSCI_FEATURES(CPU_ON) -> 0' \
		--expect 'host: PSCI_FEATURES(CPU_SUSPEND) -> 0' \
		--expect 'host: PSCI_FEATURES(SYSTEM_SUSPEND) -> -1' \
		--expect 'host: PSCI_FEATURES(CPU_FREEZE) -> -1' \
		--expect 'host: PSCI_FEATURES(SMCCC_VERSION) -> 0' \
		--expect 'host: PSCI_FEATURES(SMCCC_ARCH_FEATURES) -> -1' \
		--expect 'host: SMCCC_VERSION -> 65537' \
		--expect 'host: SMCCC_ARCH_FEATURES(SMCCC_ARCH_FEATURES) -> 0' \
		--expect 'host: SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_1) -> -1' \
		--expect 'host: SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_2) -> -1' \
		--expect 'host: SMCCC_ARCH_FEATURES(SOC_ID) -> -1' \
		--expect 'host: ARCH_WORKAROUND_1 -> -1' \
		--expect 'host: SiP call 0xc2000000 -> -1' \
		--expect 'host: powering off' --forbid panic --forbid FAIL

# The host's SGI register writes trap to EL2 (HCR_EL2.FMO, trap.c): a
# Group 1 SGI (a Linux IPI) is sent, a Group 0 one (the fail-stop's
# group) dropped; no panic, no halt.
test-qemu-host-sgi: $(A_IMAGES)
	$(QEMU_RUN) --name host-sgi $(call HOST_MODE,9) --exit 0 \
		--expect 'host: SGIs pending before: [0x0]' \
		--expect 'host: after ICC_SGI1R_EL1(SGI 3): [0x8]' \
		--expect 'host: after ICC_SGI0R_EL1(SGI 15): [0x8]' \
		--expect 'host: powering off' --forbid panic --forbid FAIL

# Boot configuration errors: no AEAD key (panic), no host (clean stop).
test-qemu-no-aead-key: $(A_IMAGES)
	$(QEMU_RUN) --name no-aead-key --no-aead-key --exit 3 \
		--expect 'corevisor: panic: dtb: /chosen has no corevisor,aead-key' \
		--forbid 'host: hello'
test-qemu-no-host: $(COREVISOR_ELF)
	$(PYTHON) tests/qemu/run.py --corevisor $(COREVISOR_ELF) \
		--workdir $(AB)/runs --name no-host --smp 4 --exit 0 \
		--expect 'corevisor: EL2, 4 CPUs' \
		--expect 'corevisor: no host' --forbid 'panic'

# --- VMs. The runner loads the signed images into host memory (staging
# addresses below) with a table the host reads; corevisor trusts
# build/aarch64/keys/image.pk through the DTB. primes runs 2 vCPUs.
A_VM_DEPS = $(A_IMAGES) $(A_GUEST_IMGS) $(AB)/guest/vault-tampered.img \
	$(AB)/guest/vault-untrusted.img $(AB)/guest/vault-extra.img
A_TRUST := --image-key $(A_KEYS)/image.pk
A_PRIMES = --guest primes:2=$(AB)/guest/$(1).img@0x4c000000
A_VAULT = --guest vault=$(AB)/guest/$(1).img@0x4c200000
A_TWO_VMS := $(A_TRUST) $(call A_PRIMES,primes) $(call A_VAULT,vault)
# What a good run of both VMs prints (every answer checked) and must not.
A_VM_EXPECT := --expect "host: vm1: verified by corevisor, the image's pages are the VM's (host FP/SIMD registers kept)" \
	--expect 'host: vm2: verified by corevisor' \
	--expect 'host: running 2 VM(s)' \
	--expect 'host: all VMs powered off' \
	--expect-anywhere '[vm1] primes: hello from vcpu 0 at EL1' \
	--expect-anywhere '[vm1] primes: vcpu 1 up (ctx 0x5eed)' \
	--expect-anywhere '[vm1] primes: sqrt(6 * sum 1/k^2, k <= 100000) = 3141583104 e-9' \
	--expect-anywhere '[vm1] primes: 78498 primes below 1000000, sum 37550402023' \
	--expect-anywhere '[vm1] primes: vcpu 1 checksum 0x4a31d6b216c3f156' \
	--expect-anywhere '[vm1] primes: vcpu 1 restarted (ctx 0x5eed0002)' \
	--expect-anywhere '[vm1] primes: vcpu 1 started again after CPU_OFF' \
	--expect-anywhere "host: vm1 'primes' powered off" \
	--expect-anywhere 'host: vm1: host FP/SIMD registers kept across all' \
	--expect-anywhere '[vm2] vault: PSCI version 0x10000 through SMC' \
	--expect-anywhere '[vm2] vault: ACTLR_EL1 read through a trap' \
	--expect-anywhere '[vm2] vault: crc32 of 262144 bytes 0x71ea9870' \
	--expect-anywhere '[vm2] vault: secret intact after 20 waits, timer kept' \
	--expect-anywhere "host: vm2 'vault' powered off" \
	--expect-anywhere 'host: vm2: host FP/SIMD registers kept across all' \
	--forbid panic --forbid FAIL --forbid 25079fe4a376c9b7
A_RUN_VMS := $(QEMU_RUN) $(A_TWO_VMS) --exit 0 $(A_VM_EXPECT)

# make run-baremetal: corevisor + the bare-metal host + both VMs on 2 CPUs,
# the serial log shown. make run is the Linux host (mk/linux.mk run-linux).
run-baremetal: $(A_VM_DEPS)
	@$(A_RUN_VMS) --name run --smp 2 --show
RUN_TARGET := run-linux

test-qemu-vms: $(A_VM_DEPS)
	$(A_RUN_VMS) --name vms --smp 2
# Every vCPU on one CPU (the host round-robins), and on four. With four
# CPUs on a 2-core machine, QEMU's thread per CPU spends most of its time
# spinning on locks whose holder's thread is preempted (10-40 s when the
# machine is busy): the four CPUs take turns on one thread instead (1.5 s).
# test-qemu-vms keeps a thread per CPU: real parallelism.
test-qemu-vms-smp1: $(A_VM_DEPS)
	$(A_RUN_VMS) --name vms-smp1 --smp 1
test-qemu-vms-smp4: $(A_VM_DEPS)
	$(A_RUN_VMS) --name vms-smp4 --smp 4 --tcg single

# Bad images: corevisor refuses them at VERIFY_VM_IMAGES; the VM never
# runs (no [vm line).
test-qemu-vm-tampered: $(A_VM_DEPS)
	$(QEMU_RUN) --name vm-tampered $(A_TRUST) \
		$(call A_VAULT,vault-tampered) --exit 3 \
		--expect 'host: vm1: SET_BOOT_INFO' \
		--expect 'corevisor: panic: verify_and_load_images: vm 1 image 0: signature matches no trusted key' \
		--forbid '[vm' --forbid 'verified by corevisor'
test-qemu-vm-untrusted: $(A_VM_DEPS)
	$(QEMU_RUN) --name vm-untrusted $(A_TRUST) \
		$(call A_VAULT,vault-untrusted) --exit 3 \
		--expect 'host: vm1: SET_BOOT_INFO' \
		--expect 'corevisor: panic: verify_and_load_images: vm 1 image 0: signature matches no trusted key' \
		--forbid '[vm' --forbid 'verified by corevisor'

# The host reads / writes the running vault's secret page: its stage-2
# fault reaches map_page_host, which refuses a VM's page, naming it. The
# secret (made at run time by the guest) never shows.
A_VAULT_ONLY := $(A_TRUST) $(call A_VAULT,vault)
test-qemu-vm-read-secret: $(A_VM_DEPS)
	$(QEMU_RUN) --name vm-read-secret $(A_VAULT_ONLY) $(call HOST_MODE,30) \
		--exit 3 --expect '[vm1] vault: secret stored at 0x48600000' \
		--expect-re 'host: reading vm1.s page at IPA 0x48600000, pfn (0x[0-9a-f]+)\n.*corevisor: panic: map_page_host: pfn \1 owned by 1 ' \
		--forbid 'host: read 0x' --forbid 25079fe4a376c9b7 --forbid VAULT-
test-qemu-vm-write-secret: $(A_VM_DEPS)
	$(QEMU_RUN) --name vm-write-secret $(A_VAULT_ONLY) $(call HOST_MODE,31) \
		--exit 3 --expect '[vm1] vault: secret stored at 0x48600000' \
		--expect-re 'host: writing vm1.s page at IPA 0x48600000, pfn (0x[0-9a-f]+)\n.*corevisor: panic: map_page_host: pfn \1 owned by 1 ' \
		--forbid 'host: wrote' --forbid 'secret intact' \
		--forbid 25079fe4a376c9b7

# The boot protocol misused: each call gets the spec's outcome (a panic
# naming the call and the value).
A_MISUSE = $(QEMU_RUN) --name vm-$(1) $(A_VAULT_ONLY) $(call HOST_MODE,$(2)) \
	--exit 3 --expect '$(3)' --expect 'corevisor: panic: $(4)' \
	--forbid 'let it pass' --forbid '[vm'
test-qemu-vm-remap-after-verify: $(A_VM_DEPS)
	$(call A_MISUSE,remap-after-verify,20,after VERIFY,remap_vm_image: vm 1 state 3 not READY)
test-qemu-vm-vcpu-twice: $(A_VM_DEPS)
	$(call A_MISUSE,vcpu-twice,21,twice,register_vcpu: vm 1 state 2 vcpu 0 state 2)
test-qemu-vm-run-unverified: $(A_VM_DEPS)
	$(call A_MISUSE,run-unverified,22,before VERIFY,set_vcpu_active: vm 1 state 2 vcpu 0 state 2)
test-qemu-vm-bad-vmid: $(A_VM_DEPS)
	$(call A_MISUSE,bad-vmid,23,VCPU_RUN on vmid 16 vcpuid 0,host_hvc: VCPU_RUN bad args 0x10 0x0)
test-qemu-vm-bad-vcpuid: $(A_VM_DEPS)
	$(call A_MISUSE,bad-vcpuid,24,VCPU_RUN on vmid 1 vcpuid 8,host_hvc: VCPU_RUN bad args 0x1 0x8)
test-qemu-vm-bad-pfn: $(A_VM_DEPS)
	$(call A_MISUSE,bad-pfn,25,bad pfn,host_hvc: REMAP_VM_IMAGE bad args 0x1 0x10000000 0x0)
test-qemu-vm-bad-load-idx: $(A_VM_DEPS)
	$(call A_MISUSE,bad-load-idx,26,bad load index,host_hvc: REMAP_VM_IMAGE bad args 0x1 0x60000 0x5)

# Two signed images of one VM in one 2 MiB guest block, from two host
# blocks: the second block would replace the first image's verified pages.
test-qemu-vm-overlap-images: $(A_VM_DEPS)
	$(QEMU_RUN) --name vm-overlap-images $(A_VAULT_ONLY) \
		--guest vault-extra=$(AB)/guest/vault-extra.img@0x4c400000 \
		$(call HOST_MODE,27) --exit 3 \
		--expect 'two images in one guest block' \
		--expect 'corevisor: panic: unmap_and_load_vm_image: vm 1 ipa 0x48000000 already maps pfn' \
		--forbid 'let it pass' --forbid '[vm'

# The host runs primes' vCPU 1 at a PC of its choice before the guest's
# CPU_ON: corevisor keeps it off; both VMs then give their answers.
test-qemu-vm-start-secondary: $(A_VM_DEPS)
	$(A_RUN_VMS) --name vm-start-secondary --smp 2 $(call HOST_MODE,37) \
		--expect-anywhere 'host: starting vm1 vcpu 1 at 0x40000100' \
		--expect-anywhere 'host: corevisor kept vm1 vcpu 1 off (CV_EXIT_VCPU_OFF)'

# A fault of vm2 answered with vm1's page or corevisor's: refused.
test-qemu-vm-offer-vm-page: $(A_VM_DEPS)
	$(QEMU_RUN) --name vm-offer-vm-page $(A_TWO_VMS) $(call HOST_MODE,32) \
		--exit 3 --expect "host: offering pfn 0x62000 (vm1's image) for vm2's fault" \
		--expect 'corevisor: panic: assign_pfn_to_vm: vm 2 pfn 0x62000 owned by 1' \
		--forbid "host: vm2 'vault' powered off"
test-qemu-vm-offer-core-page: $(A_VM_DEPS)
	$(QEMU_RUN) --name vm-offer-core-page $(A_TWO_VMS) $(call HOST_MODE,33) \
		--exit 3 --expect "host: offering pfn 0x40400 (corevisor's) for vm2's fault" \
		--expect 'corevisor: panic: assign_pfn_to_vm: vm 2 pfn 0x40400 owned by 16' \
		--forbid "host: vm2 'vault' powered off"

# The host writes garbage to every register of the run structure an exit
# did not offer (and to the initial PC/PSTATE): corevisor ignores it, the
# VMs compute the same answers.
test-qemu-vms-hostile-regs: $(A_VM_DEPS)
	$(A_RUN_VMS) --name vms-hostile-regs --smp 2 $(call HOST_MODE,34) \
		--expect-anywhere 'host: writing garbage'

# The vault holds its secret in registers across exits; the host searches
# all it is shown at each exit and never finds it.
test-qemu-vms-snoop: $(A_VM_DEPS)
	$(A_RUN_VMS) --name vms-snoop --smp 2 $(call HOST_MODE,35) \
		--expect-anywhere 'host: snooping' --expect-anywhere 'exits snooped' \
		--forbid 'part of the secret'

# VM lifecycle: the vault booted, run to its power-off and destroyed 50
# times in the same host memory (vmid 1 each time); the image's pages read
# back zero after each DESTROY_VM, a second one is refused; the last VM's
# answers are the right ones.
test-qemu-vm-lifecycle: $(A_VM_DEPS)
	$(QEMU_RUN) --name vm-lifecycle $(A_VAULT_ONLY) $(call HOST_MODE,40) \
		--smp 1 --exit 0 \
		--expect 'host: round 1: vm1 destroyed, its image pages read back zero' \
		--expect 'host: round 50: booting' \
		--expect '[vm1] vault: crc32 of 262144 bytes 0x71ea9870' \
		--expect '[vm1] vault: secret intact after 20 waits, timer kept' \
		--expect "host: vm1 'vault' powered off" \
		--expect 'host: round 50: vm1 destroyed, its image pages read back zero' \
		--expect 'host: 50 VMs booted, run and destroyed, one after another' \
		--forbid panic --forbid FAIL --forbid 25079fe4a376c9b7

# Snapshot and restore (issue 11, item 4): primes (2 vCPUs) paused after
# 150 RAM faults, mid-computation, sealed page by page with its vCPUs and
# a manifest, destroyed; a fresh VM of the same image (vmid 2) restored
# from the snapshot finishes with the same answers.
test-qemu-vm-snapshot: $(A_VM_DEPS)
	$(QEMU_RUN) --name vm-snapshot $(A_TRUST) $(call A_PRIMES,primes) \
		$(call HOST_MODE,41) --smp 1 --exit 0 \
		--expect 'host: vm1 paused after' \
		--expect-re 'host: vm1 sealed: [0-9]+ page blobs \([0-9]+ SNAPSHOT_PAGE calls\), 2 vCPU blobs, the manifest' \
		--expect "host: vm2: verified by corevisor" \
		--expect 'host: vm1 destroyed; restoring its snapshot into vm2' \
		--expect "host: vm2 restored from vm1's snapshot; running it" \
		--expect-anywhere 'primes: sqrt(6 * sum 1/k^2, k <= 100000) = 3141583104 e-9' \
		--expect '[vm2] primes: 78498 primes below 1000000, sum 37550402023' \
		--expect '[vm2] primes: vcpu 1 checksum 0x4a31d6b216c3f156' \
		--expect '[vm2] primes: vcpu 1 started again after CPU_OFF' \
		--expect '[vm2] primes: done, powering off' \
		--expect "host: vm2 'primes' powered off (PSCI SYSTEM_OFF)" \
		--expect 'host: the restored VM finished' \
		--forbid '[vm1] primes: 78498' --forbid panic --forbid FAIL

A_VM_TESTS := test-qemu-vm-snapshot test-qemu-vms test-qemu-vms-smp1 test-qemu-vms-smp4 \
	test-qemu-vms-hostile-regs test-qemu-vms-snoop \
	test-qemu-vm-tampered test-qemu-vm-untrusted test-qemu-vm-read-secret \
	test-qemu-vm-write-secret test-qemu-vm-remap-after-verify \
	test-qemu-vm-vcpu-twice test-qemu-vm-run-unverified \
	test-qemu-vm-bad-vmid test-qemu-vm-bad-vcpuid test-qemu-vm-bad-pfn \
	test-qemu-vm-bad-load-idx test-qemu-vm-overlap-images \
	test-qemu-vm-start-secondary test-qemu-vm-offer-vm-page \
	test-qemu-vm-offer-core-page test-qemu-vm-lifecycle

# Interrupts and timers (guest/irqs, 4 vCPUs on the host's 2 CPUs): the
# virtual and physical timers' interrupts while the vCPU runs and while
# it waits in WFI (latency in counter ticks, printed), IPIs between
# vCPUs, SGIs to vCPUs that do not exist, every vCPU spinning at once.
A_IRQS = --guest irqs:4=$(AB)/guest/irqs.img@0x4c400000
test-qemu-irqs: $(A_VM_DEPS) $(AB)/guest/irqs.img
	$(QEMU_RUN) $(A_TRUST) $(A_IRQS) --name irqs --smp 2 --exit 0 \
		--expect '[vm1] irqs: hello from vcpu 0, GICv3 arch rev 3, 96 interrupt lines' \
		--expect '[vm1] irqs: virtual timer, vCPU running: 8 interrupts, latency' \
		--expect '[vm1] irqs: virtual timer, vCPU waiting in WFI: 8 interrupts, latency' \
		--expect '[vm1] irqs: physical timer, vCPU running: 8 interrupts, latency' \
		--expect '[vm1] irqs: physical timer, vCPU waiting in WFI: 8 interrupts, latency' \
		--expect '[vm1] irqs: 30 IPI round trips between vcpu 0 and vcpus 1-3' \
		--expect '[vm1] irqs: SGIs to vcpus that do not exist dropped' \
		--expect '[vm1] irqs: 4 vcpus spinning on the host' \
		--expect '[vm1] irqs: done' \
		--expect "host: vm1 'irqs' powered off (PSCI SYSTEM_OFF)" \
		--expect 'host: all VMs powered off' \
		--forbid panic --forbid FAIL --forbid 'unemulated'

# The same with a host that fills every free injection request slot of
# every run with a request corevisor must refuse (each class in turn):
# every one refused for its reason, the guest's results unchanged.
test-qemu-irqs-bad-injections: $(A_VM_DEPS) $(AB)/guest/irqs.img
	$(QEMU_RUN) $(A_TRUST) $(A_IRQS) $(call HOST_MODE,50) \
		--name irqs-bad-injections --smp 2 --exit 0 \
		--expect 'host: a bad injection request in every free slot of every run' \
		--expect '[vm1] irqs: virtual timer, vCPU running: 8 interrupts' \
		--expect '[vm1] irqs: physical timer, vCPU waiting in WFI: 8 interrupts' \
		--expect '[vm1] irqs: 30 IPI round trips between vcpu 0 and vcpus 1-3' \
		--expect '[vm1] irqs: done' \
		--expect-re 'host: [1-9][0-9]* bad injection requests: [1-9][0-9]* refused as a bad INTID, [1-9][0-9]* as reserved, [1-9][0-9]* as a bad group, [0-9]+ for a vCPU that is off, 0 answered otherwise' \
		--expect 'host: all VMs powered off' \
		--forbid panic --forbid FAIL

QEMU_TESTS := test-qemu-boot test-qemu-host-read-core \
	test-qemu-host-write-pool test-qemu-dtb-scrub test-qemu-bad-hvc \
	test-qemu-cpu-reon test-qemu-host-touch-3g test-qemu-smccc \
	test-qemu-host-sgi test-qemu-irqs test-qemu-irqs-bad-injections \
	test-qemu-no-aead-key test-qemu-no-host $(A_VM_TESTS)
test-qemu: $(QEMU_TESTS)
TESTS += $(QEMU_TESTS)

# make run's machine stopped at the first instruction, gdb stub on :1234;
# attach with gdb-multiarch -x build/aarch64/runs/gdbinit (written by the
# runner).
debug: $(A_VM_DEPS)
	$(QEMU_RUN) $(A_TWO_VMS) --name debug --smp 2 --debug

.PHONY: aarch64 guests debug run-baremetal test-qemu $(QEMU_TESTS)
