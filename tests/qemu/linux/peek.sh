#!/bin/sh
# cvrun --on-event hook of the read-secret / write-secret tests: the vault
# (event 1) has stored its secret in its page at IPA 0x48600000, which
# cvrun found at host physical address CV_PA. Root tries /dev/mem (Linux
# refuses RAM: CONFIG_STRICT_DEVMEM), then its own module (cvpeek.ko),
# which corevisor must stop.
[ "$CV_EVENT" = 1 ] || exit 0
echo "attack: vm$CV_VMID's page at IPA 0x48600000 is pa $CV_PA"
if [ "$PEEK_MODE" = write ]; then
	if devmem "$CV_PA" 64 0x4141414141414141; then
		echo "attack: /dev/mem wrote it"
	else
		echo "attack: /dev/mem refused the write"
	fi
	insmod /lib/modules/cvpeek.ko pa="$CV_PA" write=1
else
	if devmem "$CV_PA" 64; then
		echo "attack: /dev/mem read it"
	else
		echo "attack: /dev/mem refused the read"
	fi
	insmod /lib/modules/cvpeek.ko pa="$CV_PA"
fi
echo "attack: returned"
