#!/bin/sh
# Debian's arm64 kernel as a protected VM under the Linux host: cvrun
# gives the VM its three signed images (mk/linuxguest.mk), the kernel's
# console through cvrun's PL011 as [vm1] lines.
cvrun /vms/linux/kernel.img+/vms/linux/initrd.img+/vms/linux/dtb.img:2
echo "linux-guest: cvrun exited $?"
