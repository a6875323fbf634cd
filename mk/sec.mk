# QEMU tests of issue 13's fail-stop and guest-containment work (the
# images and the runner of mk/aarch64.mk):
#
#   make test-qemu-halt-stops-cpus         a panic parks every CPU at EL2
#   make test-qemu-halt-stops-cpus-nosemi  the same without semihosting
#                                          (as hardware): nothing else ends
#                                          the run
#   make test-qemu-vm-hostile              a hostile guest beside the vault:
#                                          each of its attacks contained

# The hostile guest (guest/hostile), built and signed like the others.
$(eval $(call A_GUEST_ELF,hostile))
A_HOSTILE_IMG := $(AB)/guest/hostile.img
EXTRA_ALL += $(A_HOSTILE_IMG)

# The host's CPU 1 prints ticks with no trap to EL2 while CPU 0 makes
# corevisor panic: no tick may follow the panic's line, and corevisor says
# the other CPU stopped. A panic that ends only its own CPU leaves CPU 1
# ticking (with semihosting QEMU's exit hides it; without, it runs on).
A_HALT_STOPS = $(QEMU_RUN) $(call HOST_MODE,7) --smp 2 \
	--expect 'host: cpu 1 tick 3' \
	--expect 'host: REGISTER_VCPU(99, 0) while cpu 1 runs' \
	--expect 'corevisor: panic: host_hvc: REGISTER_VCPU bad args 0x63' \
	--expect 'corevisor: halted: every other CPU stopped at EL2 (1 of 1)' \
	--expect-re 'corevisor: panic: [^\n]*\n(?:(?!tick).)*\Z' \
	--forbid 'returned after the panic' --forbid 'still running'
test-qemu-halt-stops-cpus: $(A_IMAGES)
	$(A_HALT_STOPS) --name halt-stops-cpus --exit 3
test-qemu-halt-stops-cpus-nosemi: $(A_IMAGES)
	$(A_HALT_STOPS) --name halt-stops-cpus-nosemi --no-semihosting \
		--timeout 30 --exit 0

# The same with the VMs: CPU 1 runs the vault (waiting with WFIs, its
# secret stored) and the hostile guest while CPU 0 makes corevisor panic.
# No VM's line may follow the panic, the vault never finishes.
test-qemu-halt-stops-vms-nosemi: $(A_VM_DEPS) $(A_HOSTILE_IMG)
	$(QEMU_RUN) --name halt-stops-vms-nosemi $(call HOST_MODE,36) \
		--smp 2 --no-semihosting --timeout 30 --exit 0 $(A_TRUST) \
		$(call A_VAULT,vault) \
		--guest hostile=$(A_HOSTILE_IMG)@0x4c400000 \
		--expect '[vm1] vault: secret stored at 0x48600000' \
		--expect 'host: REGISTER_VCPU(99, 0) while cpu 1 runs the VMs' \
		--expect 'corevisor: panic: host_hvc: REGISTER_VCPU bad args 0x63' \
		--expect 'corevisor: halted: every other CPU stopped at EL2 (1 of 1)' \
		--expect-re 'corevisor: panic: [^\n]*\n(?:(?!\[vm).)*\Z' \
		--forbid 'secret intact' --forbid 'returned after the panic' \
		--forbid 'still running'

# The hostile guest (vm1) and the vault (vm2), one vCPU each, on a CPU
# that has SVE and pointer authentication (QEMU's max): each attack comes
# back to the hostile guest as its own exception or an error code, the
# vault gives its known answers, both power off, exit 0.
test-qemu-vm-hostile: $(A_VM_DEPS) $(A_HOSTILE_IMG)
	$(QEMU_RUN) --name vm-hostile --smp 2 --cpu max,pauth-impdef=on \
		$(A_TRUST) --guest hostile=$(A_HOSTILE_IMG)@0x4c400000 \
		$(call A_VAULT,vault) --exit 0 \
		--expect-anywhere '[vm1] hostile: AArch32 EL0 T32: MMIO load 0x43565444, next instruction run, RAM fault, WFI, SVC back' \
		--expect-re '\[vm1\] hostile: running at 0xffffff804' \
		--expect-anywhere '[vm1] hostile: WFI, MMIO and a trapped register read at a high PC' \
		--expect-anywhere '[vm1] hostile: SHARE past 48 bits refused (0xfffffffffffffffd)' \
		--expect-anywhere '[vm1] hostile: UNSHARE past 48 bits refused' \
		--expect-anywhere '[vm1] hostile: SVE instruction: undefined (EC 0x0)' \
		--expect-anywhere '[vm1] hostile: PAC instruction: undefined (EC 0x0)' \
		--expect-anywhere '[vm1] hostile: every attack contained' \
		--expect-anywhere "host: vm1 'hostile' powered off" \
		--expect-anywhere '[vm2] vault: crc32 of 262144 bytes 0x71ea9870' \
		--expect-anywhere '[vm2] vault: secret intact after 20 waits, timer kept' \
		--expect-anywhere "host: vm2 'vault' powered off" \
		--expect 'host: all VMs powered off' \
		--forbid panic --forbid FAIL --forbid 'skipped'

SEC_QEMU_TESTS := test-qemu-halt-stops-cpus \
	test-qemu-halt-stops-cpus-nosemi test-qemu-halt-stops-vms-nosemi \
	test-qemu-vm-hostile
test-qemu: $(SEC_QEMU_TESTS)
TESTS += $(SEC_QEMU_TESTS)
.PHONY: $(SEC_QEMU_TESTS)
