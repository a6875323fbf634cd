#!/bin/sh
# cvrun --on-event hook of dma-secret.sh: the vault (event 1) has stored
# its secret in its page at IPA 0x48600000, host physical address CV_PA.
[ "$CV_EVENT" = 1 ] || exit 0
echo "attack: vm$CV_VMID's page at IPA 0x48600000 is pa $CV_PA"
insmod /lib/modules/cvdma.ko pa="$CV_PA" core=0x40200000
echo "attack: returned"
