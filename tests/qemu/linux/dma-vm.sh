#!/bin/sh
# Root attaches QEMU's edu device to a VM and maps one of the VM's pages
# for it (tests/qemu/linux/cvdma.c vmdma=1): the device reaches that page
# and nothing of the host's; once the VM is destroyed, the stream is the
# host's again and the page comes back zeroed.
insmod /lib/modules/cvdma.ko vmdma=1
echo "attack: returned"
