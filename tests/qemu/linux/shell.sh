#!/bin/sh
# make run-linux-shell: a shell on the console (job control on the tty).
echo "shell: corevisor.ko is loaded; the signed images are in /vms:"
ls /vms
echo "shell: run one with  cvrun /vms/NAME.img[:VCPUS]  (poweroff -f ends)"
setsid cttyhack sh
