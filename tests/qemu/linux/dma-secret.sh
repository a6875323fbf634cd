#!/bin/sh
# Root aims a DMA-capable device (QEMU's edu) at the running vault's secret
# page and at corevisor's image: the SMMU faults each access, corevisor
# reports the faults, and the vault finds its secret intact.
cvrun --pa-of 0x48600000 --on-event /tests/dma.sh /vms/vault.img
