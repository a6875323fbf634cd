#!/bin/sh
# Root reads corevisor's image through /dev/mem: the DTB marks it no-map
# reserved memory (not System RAM, so Linux lets /dev/mem map it), and
# corevisor's stage 2 stops the access.
grep -i "corevisor\|reserved" /proc/iomem | head -4
echo "attack: reading corevisor's image at 0x40200000 through /dev/mem"
devmem 0x40200000 64
echo "attack: returned"
