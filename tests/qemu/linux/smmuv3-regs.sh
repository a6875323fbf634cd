#!/bin/sh
# Root reads the SMMUv3's registers through /dev/mem (no driver claims
# them: the node is disabled): corevisor's stage 2 refuses the page.
echo "attack: reading the SMMUv3's IDR0 at 0x09050000 through /dev/mem"
devmem 0x09050000 32
echo "attack: returned"
