# The GIC's memory tables taken from the host (core/gic/gictab.c,
# cv/gictab.h): the bare-metal host (host/platform/gictab.c, modes 70..79)
# points the ITS's device table, its command queue, a device's ITT and a
# redistributor's LPI tables at the vault's secret page or at corevisor's
# pool once the vault has stored its secret. corevisor refuses each
# before the GIC hears of it (fail-stop, exit 3, its reason printed); the
# vault never finishes. Legitimate tables work (the ITS consumes the
# host's commands through corevisor's queue), and their pages stay the
# host's: one offered to a VM is refused.
A_GIC_ATTACK = $(QEMU_RUN) $(A_TWO_VMS) --exit 3 \
	--expect '[vm2] vault: secret stored at 0x48600000' \
	--forbid 'let the GIC table through' --forbid '[vm2] vault: done'

test-qemu-gic-baser-vm: $(A_VM_DEPS)
	$(A_GIC_ATTACK) --name gic-baser-vm $(call HOST_MODE,70) \
		--expect "host: GITS_BASER0 at the vault's secret page" \
		--expect-re 'corevisor: panic: its_write_baser: GITS_BASER0 at 0x[0-9a-f]+: pfn 0x[0-9a-f]+ owned by 2, not the host.s'
test-qemu-gic-cbaser-core: $(A_VM_DEPS)
	$(A_GIC_ATTACK) --name gic-cbaser-core $(call HOST_MODE,71) \
		--expect 'host: GITS_CBASER at 0x40400000' \
		--expect "corevisor: panic: its_write_cbaser: GITS_CBASER at 0x40400000: pfn 0x40400 owned by 16, not the host's"
test-qemu-gic-itt-vm: $(A_VM_DEPS)
	$(A_GIC_ATTACK) --name gic-itt-vm $(call HOST_MODE,72) \
		--expect "host: MAPD device 1 with its ITT at the vault's secret page" \
		--expect-re "corevisor: panic: its_cwriter: MAPD's ITT at 0x[0-9a-f]+: pfn 0x[0-9a-f]+ owned by 2, not the host.s"
test-qemu-gic-propbaser-vm: $(A_VM_DEPS)
	$(A_GIC_ATTACK) --name gic-propbaser-vm $(call HOST_MODE,73) \
		--expect "host: GICR_PROPBASER at the vault's secret page" \
		--expect-re 'corevisor: panic: rd_write_propbaser: GICR_PROPBASER at 0x[0-9a-f]+: pfn 0x[0-9a-f]+ owned by 2, not the host.s'
test-qemu-gic-pendbaser-core: $(A_VM_DEPS)
	$(A_GIC_ATTACK) --name gic-pendbaser-core $(call HOST_MODE,74) \
		--expect "host: GICR_PENDBASER at corevisor's pool 0x40400000" \
		--expect "corevisor: panic: rd_write_pendbaser: GICR_PENDBASER at 0x40400000: pfn 0x40400 owned by 16, not the host's"
test-qemu-gic-tables: $(A_VM_DEPS)
	$(QEMU_RUN) $(A_TWO_VMS) --exit 3 --name gic-tables $(call HOST_MODE,75) \
		--expect 'host: ITS consumed 3 of 3 commands' \
		--expect 'host: legitimate GIC tables in place' \
		--expect-re "host: offering pfn 0x([0-9a-f]+) \\(the ITT, pinned\\) for vm2's fault" \
		--expect-re 'corevisor: panic: assign_pfn_to_vm: vm 2 host pfn 0x[0-9a-f]+ holds a GIC table' \
		--forbid "host: vm2 'vault' powered off"

GIC_QEMU_TESTS := test-qemu-gic-baser-vm test-qemu-gic-cbaser-core \
	test-qemu-gic-itt-vm test-qemu-gic-propbaser-vm \
	test-qemu-gic-pendbaser-core test-qemu-gic-tables
TESTS += $(GIC_QEMU_TESTS)
.PHONY: $(GIC_QEMU_TESTS)
