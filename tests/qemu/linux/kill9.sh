#!/bin/sh
# kill -9 of the launcher while its VMs run: at the vault's event (its
# secret stored) the event hook kills cvrun, while primes computes (its
# vCPU threads in the module's run loop). Both VMs stop for good, no
# panic. Their pages stay the VMs' (corevisor has no call that stops a VM
# from the host) and never go back to Linux's allocator: filling Linux's
# memory must not touch them. A VM started afterwards runs normally.
cvrun --on-event 'kill -9 $PPID' /vms/primes.img:2 /vms/vault.img
echo "attack: cvrun killed (status $?)"
sleep 1
echo "attack: filling Linux's memory"
i=0
while [ $i -lt 24 ]; do
	dd if=/dev/zero of=/tmp/fill$i bs=1M count=16 2>/dev/null || break
	i=$((i + 1))
done
grep MemFree /proc/meminfo
rm -f /tmp/fill*
echo "attack: filled $((i * 16)) MiB and freed it"
cvrun /vms/vault.img
echo "attack: next cvrun exited $?"
