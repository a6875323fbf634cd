#!/bin/sh
# VMs one after another until corevisor's vmids (1..15, never reused) run
# out: the 16th is refused by the module (ENOSPC), corevisor keeps going.
n=0
while [ $n -lt 15 ]; do
	cvrun -q /vms/vault.img >/tmp/vm.log 2>&1 || break
	grep -q "secret intact after 20 waits" /tmp/vm.log || break
	n=$((n + 1))
done
echo "attack: $n VMs ran one after another"
cvrun /vms/vault.img
echo "attack: VM 16: cvrun exited $?"
dmesg | grep "vmids used"
