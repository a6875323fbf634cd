#!/bin/sh
# The interrupt guest (guest/irqs, 4 vCPUs) under the Linux host on its 2
# CPUs: the same host/vmm vGIC as the bare-metal host, Linux's own tick
# preempting the vCPU threads.
cvrun /vms/irqs.img:4
echo "irqs: cvrun exited $?"
