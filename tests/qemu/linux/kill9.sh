#!/bin/sh
# kill -9 of the launcher while its VMs run: at the vault's event (its
# secret stored) the event hook kills cvrun, while primes computes (its
# vCPU threads in the module's run loop). Both VMs stop for good, no
# panic. Closing their files destroys them (HVC_DESTROY_VM, forced): their
# pages come back zeroed and go back to Linux, which the module's count
# and MemFree show. Filling Linux's memory then touches them without a
# panic, and a VM started afterwards runs normally (on a reused vmid).
free_kb() { sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
before=$(cat /sys/module/corevisor/parameters/pages_returned)
cvrun --on-event 'kill -9 $PPID' /vms/primes.img:2 /vms/vault.img
echo "attack: cvrun killed (status $?)"
sleep 1
after=$(cat /sys/module/corevisor/parameters/pages_returned)
echo "attack: the module gave back $((after - before)) page(s) of the killed VMs"
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
# VMs whose launcher is killed, over and over: MemFree comes back each
# time (a leak of a VM's ~2 MiB block and pages per round would show).
sync; echo 3 >/proc/sys/vm/drop_caches
m0=$(free_kb)
n=0
while [ $n -lt 10 ]; do
	cvrun --on-event 'kill -9 $PPID' /vms/vault.img >/dev/null 2>&1
	n=$((n + 1))
done
sleep 1
sync; echo 3 >/proc/sys/vm/drop_caches
m1=$(free_kb)
echo "attack: MemFree ${m0} kB before 10 killed VMs, ${m1} kB after"
if [ $((m0 - m1)) -lt 4096 ]; then
	echo "attack: MemFree came back (within 4 MiB)"
else
	echo "attack: MemFree dropped by $((m0 - m1)) kB: leaked"
fi
