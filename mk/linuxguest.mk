# Debian's unmodified arm64 kernel as a protected VM (docs/guest-platform.md,
# "A Linux guest"): the kernel mk/linux.mk downloads, a busybox initramfs
# whose /init (guest/linux/init) runs a few commands and powers off, and a
# device tree for the VM's platform, packed by tools/cv-linux-guest.py as
# three signed images (the kernel the boot image, the initramfs and the
# device tree data, the device tree the boot argument in x0).
#
#   make run-linux-guest        the VM (2 vCPUs) under the bare-metal host,
#                               its console shown as [vm1] ...
#   make test-linux-guest       the same, checked (part of make test)
#   make test-linux-guest-peek  the host reads the booted guest's memory:
#                               corevisor stops the machine
#   make test-linux-guest-bootargs  the host rewrites the signed DTB's
#                               command line: the VM never runs
#   make test-linux-host-guest  the VM under the Linux host (cvrun; part of
#                               make test)

LG := $(BUILD)/linux-guest
LG_INITRD := $(LG)/initramfs.cpio.gz
LG_IMGS := $(LG)/kernel.img $(LG)/initrd.img $(LG)/dtb.img
# cryptomgr.notests: the kernel's crypto self-tests only lengthen the run.
LG_BOOTARGS := console=ttyAMA0 earlycon=pl011,0x9000000 nokaslr rdinit=/init \
	cryptomgr.notests
$(LG_INITRD): guest/linux/init scripts/mkinitramfs.py $(LX_FETCHED)
	@echo "  INITRD  $@"
	@mkdir -p $(dir $@)
	$(LX_Q)$(PYTHON) scripts/mkinitramfs.py $@ \
		file:bin/busybox=$(LX)/busybox:755 link:bin/sh=busybox \
		file:init=guest/linux/init:755 dir:proc dir:sys dir:dev \
		dir:tmp char:dev/console=5,1
# One rule makes all three (grouped target).
$(LG_IMGS) &: tools/cv-linux-guest.py $(LG_INITRD) $(LX_FETCHED) \
		$(BUILD)/tools/cv-sign $(A_KEYS)/image.sk mk/linuxguest.mk
	@echo "  PACK    $(LG)/{kernel,initrd,dtb}.img"
	$(LX_Q)$(PYTHON) tools/cv-linux-guest.py --cv-sign $(BUILD)/tools/cv-sign \
		--key $(A_KEYS)/image.sk --image $(LX_IMAGE) \
		--initrd $(LG_INITRD) --out-dir $(LG) --vcpus 2 --mem-mib 256 \
		--bootargs '$(LG_BOOTARGS)'
linux-guest: $(LG_IMGS)
EXTRA_ALL += linux-guest

# Where the runner leaves the three images in host memory (below the
# bare-metal host's allocation pool at 0x62000000; the kernel is ~32 MiB).
LG_GUEST := --guest linux:2=$(LG)/kernel.img@0x52000000 \
	--guest +$(LG)/initrd.img@0x5a000000 \
	--guest +$(LG)/dtb.img@0x5c000000
# The guest's clock is QEMU's: on a loaded machine its boot takes longer.
LG_RUN = $(QEMU_RUN) $(A_TRUST) $(LG_GUEST) --smp 2 --timeout 480
LG_DEPS := $(A_IMAGES) $(LG_IMGS)
# The kernel's lines carry its "[    1.234567] " time: KL matches one.
KL := \[vm1\] \[ *[0-9]+\.[0-9]+\]\s
# What the kernel and its /init print, under either host.
LG_KERNEL_EXPECT := --expect-re '$(KL)Booting Linux on physical CPU 0x0000000000 \[0x411fd070\]' \
	--expect-re '$(KL)Machine model: corevisor protected VM' \
	--expect-re '$(KL)psci: PSCIv1.0 detected in firmware' \
	--expect-re '$(KL)psci: Trusted OS migration not required' \
	--expect-re '$(KL)psci: SMC Calling Convention v1.0' \
	--expect-re '$(KL)GICv3: CPU0: found redistributor 0 region 0:0x00000000080a0000' \
	--expect-re '$(KL)arch_timer: cp15 timer\(s\) running at [0-9.]+MHz \(virt\)' \
	--expect-re '$(KL)GICv3: CPU1: found redistributor 1 region 0:0x00000000080c0000' \
	--expect-re '$(KL)smp: Brought up 1 node, 2 CPUs' \
	--expect-re '$(KL)Trying to unpack rootfs image as initramfs' \
	--expect-re '$(KL)Run /init as init process' \
	--expect '[vm1] init: hello from Linux ' \
	--forbid 'Kernel panic' --forbid Oops --forbid 'BUG:' \
	--forbid 'WARNING:' --forbid 'host: FAIL' \
	--forbid 'MIGRATE_INFO_TYPE not supported'
LG_INIT_EXPECT := --expect '[vm1] init: 2 CPUs online: 0-1' \
	--expect-re '\[vm1\] init: the timer ticks: [0-9]+ -> [0-9]+ interrupts across sleep 1' \
	--expect-re '\[vm1\] init: IPIs received per CPU: [1-9][0-9]* [1-9][0-9]*\n' \
	--expect-anywhere 'host: vm1 vcpu 1: CPU_OFF' \
	--expect-re '$(KL)psci: CPU1 killed' \
	--expect '[vm1] init: cpu1 offline, online: 0' \
	--expect-re '$(KL)CPU1: Booted secondary processor 0x0000000001' \
	--expect '[vm1] init: cpu1 back, online: 0-1' \
	--expect '[vm1] init: sha256 of a counted megabyte: cabd0fa803bc80f2' \
	--expect '[vm1] init: done, powering off' \
	--expect-re '$(KL)reboot: Power down' \
	--forbid panic --forbid 'timer is stuck' --forbid 'unemulated'
# Under the bare-metal host.
LG_BOOT_EXPECT := --expect 'host: vm1: data image 2, ' \
	--expect "host: vm1: verified by corevisor" $(LG_KERNEL_EXPECT)
LG_EXPECT := $(LG_BOOT_EXPECT) $(LG_INIT_EXPECT) \
	--expect-re "host: vm1 'linux' powered off \\((PSCI SYSTEM_OFF|corevisor: powered off)\\)" \
	--expect 'host: all VMs powered off'

run-linux-guest: $(LG_DEPS)
	@$(LG_RUN) --name linux-guest --show --exit 0 $(LG_EXPECT)

test-linux-guest: $(LG_DEPS)
	$(LG_RUN) --name linux-guest --exit 0 $(LG_EXPECT)

# The host reads the guest's memory once its /init runs: a page it gave
# for a RAM fault. corevisor's stage 2 stops it (the page is the VM's);
# nothing of it shows.
test-linux-guest-peek: $(LG_DEPS)
	$(LG_RUN) --name linux-guest-peek $(call HOST_MODE,60) --exit 3 \
		$(LG_BOOT_EXPECT) \
		--expect-re "host: reading vm1's page at IPA 0x[0-9a-f]+, pfn (0x[0-9a-f]+) [^\n]*\n.*corevisor: panic: map_page_host: pfn \1 owned by 1 " \
		--forbid 'host: read 0x' --forbid 'kernel image page' \
		--forbid 'init: done'

# The host changes the command line in the guest's device tree (its init
# would be the host's): the DTB is a signed image, so VERIFY_VM_IMAGES
# stops the machine and the VM never runs.
test-linux-guest-bootargs: $(LG_DEPS)
	$(LG_RUN) --name linux-guest-bootargs $(call HOST_MODE,61) --exit 3 \
		--expect "host: 'rdinit=/init' in the device tree of 'linux' rewritten to 'rdinit=/evil'" \
		--expect 'host: vm1: data image 2, ' \
		--expect 'corevisor: panic: verify_and_load_images: vm 1 image 2: signature matches no trusted key' \
		--forbid '[vm1]' --forbid 'verified by corevisor'

# --- The same VM under the Linux host: the host's initramfs (mk/linux.mk)
# with the three images in /vms/linux appended (Linux unpacks both
# archives), cvrun gives them to the module (tests/qemu/linux/linux-guest.sh).
# Not part of make test: minutes of a guest kernel under a host kernel.
LG_LX_EXTRA := $(LG)/host-extra.cpio.gz
LG_LX_INITRD := $(LG)/host-initramfs.cpio.gz
$(LG_LX_EXTRA): $(LG_IMGS) scripts/mkinitramfs.py
	@echo "  INITRD  $@"
	$(LX_Q)$(PYTHON) scripts/mkinitramfs.py $@ \
		$(foreach i,$(LG_IMGS),file:vms/linux/$(notdir $(i))=$(i):644)
$(LG_LX_INITRD): $(LX_INITRD) $(LG_LX_EXTRA)
	$(LX_Q)cat $^ > $@
test-linux-host-guest: $(LX_DEPS) $(LG_LX_INITRD)
	$(call LX_RUN,cvtest=linux-guest) --initrd $(LG_LX_INITRD) \
		--name linux-host-guest --smp 2 --timeout 600 --exit 0 \
		--expect-re "cvrun: vm1 'kernel': 2 vCPU\(s\), [0-9]+-byte image and its data images verified" \
		$(LG_KERNEL_EXPECT) $(LG_INIT_EXPECT) \
		--expect-re "cvrun: vm1 'kernel' powered off; [1-9][0-9]* page\(s\) back to Linux" \
		--expect 'linux-guest: cvrun exited 0' \
		--expect 'corevisor: host powered the system off'

LG_TESTS := test-linux-guest test-linux-guest-peek test-linux-guest-bootargs \
	test-linux-host-guest
.PHONY: linux-guest run-linux-guest $(LG_TESTS)
TESTS += $(LG_TESTS)
