# The Linux host: Debian's arm64 kernel at EL1 under corevisor, the KServ
# module (host/linux, with host/vmm), the launcher (tools/cvrun) and an
# initramfs whose /init runs the VMs (docs/linux-host.md).
#
#   make linux-host       kernel, module, cvrun and initramfs
#   make run              (run-linux) corevisor, Linux, cvrun on both VMs
#   make test-linux       the Linux-host QEMU tests (part of make test)
#
# Debian's packages (linux-image-arm64, busybox-static, the matching
# headers) are downloaded once by scripts/linux-fetch.sh and cached in
# build/linux. Quiet by default; V=1 shows every command.

LX := $(BUILD)/linux
LX_Q := $(if $(V),,@)
LX_FETCHED := $(LX)/release
LX_IMAGE := $(LX)/Image
LX_HEADERS := $(LX)/headers

$(LX_FETCHED): scripts/linux-fetch.sh | $(A_DEPS_STAMP)
	@echo "  FETCH   Debian linux-image-arm64, headers, busybox-static"
	$(LX_Q)bash scripts/linux-fetch.sh $(LX)
linux-fetch: $(LX_FETCHED)

# --- corevisor.ko: Kbuild builds in the module's folder, so kserv.c,
# vmm.c and Kbuild are linked into one under build/.
LX_MOD_DIR := $(LX)/module
LX_MOD := $(LX_MOD_DIR)/corevisor.ko
LX_MOD_SRCS := host/linux/kserv.c host/linux/Kbuild host/vmm/vmm.c \
	$(wildcard host/linux/*.h host/linux/compat/*.h host/include/host/*.h \
	include/corevisor/*.h)
$(LX_MOD): $(LX_MOD_SRCS) $(LX_FETCHED)
	@echo "  KBUILD  $@"
	@mkdir -p $(LX_MOD_DIR)
	$(LX_Q)ln -sf $(CURDIR)/host/linux/kserv.c $(CURDIR)/host/linux/Kbuild \
		$(CURDIR)/host/vmm/vmm.c $(LX_MOD_DIR)/
	$(LX_Q)$(MAKE) -C $(LX_HEADERS) M=$(CURDIR)/$(LX_MOD_DIR) ARCH=arm64 \
		CROSS_COMPILE=$(A_CROSS) CV_ROOT=$(CURDIR) $(if $(V),V=1,-s) modules

# --- cvrun and the attack tool: static arm64 user-space programs.
LX_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Iinclude -static -pthread
LX_CVRUN := $(LX)/cvrun
$(LX_CVRUN): tools/cvrun.c include/corevisor/dev.h | $(A_DEPS_STAMP)
	@echo "  CC-A64  $@"
	@mkdir -p $(dir $@)
	$(LX_Q)$(A_CC) $(LX_CFLAGS) $< -o $@
LX_CVATTACK := $(LX)/cvattack
$(LX_CVATTACK): tests/qemu/linux/cvattack.c include/corevisor/dev.h | $(A_DEPS_STAMP)
	@echo "  CC-A64  $@"
	@mkdir -p $(dir $@)
	$(LX_Q)$(A_CC) $(LX_CFLAGS) $< -o $@

# --- The initramfs: busybox, /init, the module, cvrun, the signed images
# (and the attack images and scripts the tests use).
LX_INITRD := $(LX)/initramfs.cpio.gz
LX_TEST_SCRIPTS := $(sort $(wildcard tests/qemu/linux/*.sh))
LX_VM_IMGS := $(A_GUEST_IMGS) $(AB)/guest/vault-tampered.img \
	$(AB)/guest/vault-untrusted.img
$(LX_INITRD): host/linux/init scripts/mkinitramfs.py $(LX_MOD) $(LX_CVRUN) \
		$(LX_CVATTACK) $(LX_VM_IMGS) $(LX_TEST_SCRIPTS)
	@echo "  INITRD  $@"
	$(LX_Q)$(PYTHON) scripts/mkinitramfs.py $@ \
		file:bin/busybox=$(LX)/busybox:755 link:bin/sh=busybox \
		file:init=host/linux/init:755 dir:proc dir:sys dir:dev dir:tmp \
		char:dev/console=5,1 \
		file:lib/modules/corevisor.ko=$(LX_MOD):644 \
		file:bin/cvrun=$(LX_CVRUN):755 \
		file:bin/cvattack=$(LX_CVATTACK):755 \
		$(foreach i,$(LX_VM_IMGS),file:vms/$(notdir $(i))=$(i):644) \
		$(foreach s,$(LX_TEST_SCRIPTS),file:tests/$(notdir $(s))=$(s):755)

linux-host: $(COREVISOR_ELF) $(LX_INITRD)
EXTRA_ALL += linux-host

# --- QEMU runs of the Linux host: tests/qemu/run.py boots corevisor, which
# enters the kernel at EL1 with the initramfs. cvtest=NAME on the kernel's
# command line makes /init run /tests/NAME.sh instead of the default
# (both sample VMs, then power-off).
LX_RUN = $(PYTHON) tests/qemu/run.py --corevisor $(COREVISOR_ELF) \
	--workdir $(AB)/runs --image-key $(A_KEYS)/image.pk \
	--linux $(LX_IMAGE) --initrd $(LX_INITRD) --timeout 240 \
	--append 'console=ttyAMA0 rdinit=/init $(1)'
LX_DEPS := $(COREVISOR_ELF) $(LX_INITRD)

# What a good run of both VMs under Linux prints, in cvrun's words.
LX_VMS_EXPECT := --expect 'corevisor: host entry 0x48000000 at EL1' \
	--expect 'psci: SMC Calling Convention v1.1' \
	--expect 'Run /init as init process' \
	--expect 'corevisor: /dev/corevisor ready (HVC_NOOP -> 0' \
	--expect "cvrun: vm1 'primes': 2 vCPU(s)" \
	--expect "cvrun: vm2 'vault': 1 vCPU(s)" \
	--expect-anywhere '[vm1] primes: hello from vcpu 0 at EL1' \
	--expect-anywhere '[vm1] primes: vcpu 1 up (ctx 0x5eed)' \
	--expect-anywhere '[vm1] primes: sqrt(6 * sum 1/k^2, k <= 100000) = 3141583104 e-9' \
	--expect-anywhere '[vm1] primes: 78498 primes below 1000000, sum 37550402023' \
	--expect-anywhere '[vm1] primes: vcpu 1 checksum 0x4a31d6b216c3f156' \
	--expect-anywhere '[vm2] vault: PSCI version 0x10000 through SMC' \
	--expect-anywhere '[vm2] vault: ACTLR_EL1 read through a trap' \
	--expect-anywhere '[vm2] vault: crc32 of 262144 bytes 0x71ea9870' \
	--expect-anywhere '[vm2] vault: secret intact after 20 waits, timer kept' \
	--expect-re "cvrun: vm1 'primes' powered off; [1-9][0-9]* page\(s\) back to Linux" \
	--expect-re "cvrun: vm2 'vault' powered off; [1-9][0-9]* page\(s\) back to Linux" \
	--expect 'cvrun: 2 of 2 VM(s) powered off' \
	--expect 'init: cvrun exited 0' \
	--expect 'corevisor: host powered the system off' \
	--forbid panic --forbid 'Oops' --forbid 'BUG' --forbid 25079fe4a376c9b7

# make run: the real thing, on 2 CPUs, the serial log shown.
run-linux: $(LX_DEPS)
	@$(call LX_RUN,) --name run-linux --smp 2 --exit 0 --show $(LX_VMS_EXPECT)

.PHONY: linux-fetch linux-host run-linux
