#!/bin/sh
# VMs one after another, past corevisor's 15 vmids: each destroyed VM's
# vmid is reused, so the twentieth runs like the first.
n=0
while [ $n -lt 20 ]; do
	cvrun -q /vms/vault.img >/tmp/vm.log 2>&1 || break
	grep -q "secret intact after 20 waits" /tmp/vm.log || break
	n=$((n + 1))
done
echo "attack: $n VMs ran one after another"
cvrun /vms/vault.img
echo "attack: VM 21: cvrun exited $?"
