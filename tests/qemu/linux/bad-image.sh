#!/bin/sh
# A bad image (cvimage= on the kernel command line: tampered or signed by an untrusted key): corevisor
# refuses it at VERIFY_VM_IMAGES and stops the machine (the spec's outcome).
cvrun /vms/"$cvimage".img
echo "attack: cvrun exited $?"
