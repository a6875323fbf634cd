#!/bin/sh
# The host DTB's reserved memory, then PSCI and SMCCC through corevisor: CPU hotplug (CPU_OFF, CPU_ON through
# the EL2 entry), what Linux learnt of SMCCC, then both VMs.
# The DTB corevisor gave Linux: its memory and the shared area reserved.
rm=/sys/firmware/devicetree/base/reserved-memory
for n in "$rm"/corevisor*; do
	echo "dtb: ${n##*/} no-map=$([ -e "$n/no-map" ] && echo yes)" \
		"compatible=$(cat "$n/compatible" 2>/dev/null)"
done
grep -E "reserved|corevisor" /proc/iomem
echo 0 >/sys/devices/system/cpu/cpu1/online && echo "psci: cpu1 offline"
echo 1 >/sys/devices/system/cpu/cpu1/online && echo "psci: cpu1 online"
echo "psci: spectre_v2: $(cat /sys/devices/system/cpu/vulnerabilities/spectre_v2)"
cvrun /vms/primes.img:2 /vms/vault.img
echo "psci: cvrun exited $?"
