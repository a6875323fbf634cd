#!/bin/sh
# virtio-rng-pci and virtio-blk-pci through corevisor's SMMUv3: Linux has
# no IOMMU driver (the SMMU's DTB node is disabled), its devices' DMA is
# translated by corevisor's host stream table.
for m in virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio-rng \
	virtio_blk; do
	insmod /lib/modules/virtio/$m.ko || echo "devices: insmod $m failed"
done
sleep 1
echo "devices: rng $(cat /sys/class/misc/hw_random/rng_current)"
echo "devices: $(dd if=/dev/hwrng bs=64 count=8 2>/dev/null | wc -c) bytes from /dev/hwrng"
echo "devices: vda says '$(head -c 26 /dev/vda)'"
echo "devices: vda block 200 says '$(dd if=/dev/vda bs=4096 skip=200 count=1 2>/dev/null | head -c 22)'"
echo "devices: sha of 1 MiB of vda $(dd if=/dev/vda bs=65536 count=16 2>/dev/null | sha256sum | cut -c1-16)"
echo "devices: done"
