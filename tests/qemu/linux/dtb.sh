#!/bin/sh
# The host DTB's /reserved-memory as Linux sees it: every node (the
# board's own and corevisor's) and the reserved ranges.
for n in /sys/firmware/devicetree/base/reserved-memory/*@*; do
	echo "dtb: ${n##*/} no-map=$([ -e "$n/no-map" ] && echo yes)"
done
grep -E "reserved|corevisor" /proc/iomem
