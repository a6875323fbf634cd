# The guest platform (docs/guest-platform.md): what a standard arm64 guest
# expects of the machine a VM gets, checked from inside by the platform
# guest (guest/platform) under QEMU.
#
#   make test-qemu-guest-platform   an access where the host has nothing
#                                   is an external abort the guest's own
#                                   handler catches (ESR_EL1, FAR_EL1),
#                                   from the host's answer or, outside
#                                   the VM's memory map, from corevisor;
#                                   MMIO above 1 GiB is MMIO;
#                                   ID_AA64DFR0_EL1 says no PMU, minimal
#                                   debug; PMU accesses are undefined

$(eval $(call A_GUEST_ELF,platform))
A_PLATFORM_IMG := $(AB)/guest/platform.img
EXTRA_ALL += $(A_PLATFORM_IMG)

# On QEMU's max CPU (a PMU, SVE, pointer authentication, MTE): none of it
# is advertised to the VM, and a PMU access is the guest's own undefined
# instruction.
test-qemu-guest-platform: $(A_IMAGES) $(A_PLATFORM_IMG)
	$(QEMU_RUN) --name guest-platform --smp 2 --cpu max,pauth-impdef=on \
		$(A_TRUST) --guest platform=$(A_PLATFORM_IMG)@0x4c000000 \
		--exit 0 \
		--expect 'host: vm1 vcpu 0: nothing at IPA 0x100000000: abort' \
		--expect '[vm1] platform: abort caught: load at 0x100000000: ESR_EL1 0x96000010 FAR_EL1 0x100000000' \
		--expect '[vm1] platform: abort caught: store at 0x100000018: ESR_EL1 0x96000050 FAR_EL1 0x100000018' \
		--expect '[vm1] platform: abort caught: load at 0x300000040 (no region): ESR_EL1 0x96000010 FAR_EL1 0x300000040' \
		--expect '[vm1] platform: MMIO above 1 GiB: id 0x43565444 at 0x4010000008' \
		--forbid 'nothing at IPA 0x300000000' \
		--expect '[vm1] platform: ID_AA64DFR0_EL1 0x101006: DebugVer 6, PMUVer 0, 2 breakpoints, 2 watchpoints' \
		--expect '[vm1] platform: PMU absent: PMCR_EL0, PMCCNTR_EL0, PMCNTENSET_EL0 are undefined instructions' \
		--expect '[vm1] platform: done' \
		--expect "host: vm1 'platform' powered off" \
		--forbid panic --forbid FAIL

TESTS += test-qemu-guest-platform
.PHONY: test-qemu-guest-platform
