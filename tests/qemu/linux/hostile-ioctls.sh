#!/bin/sh
# Hostile /dev/corevisor calls (cvattack), then the VMs still run.
cvattack /vms/vault.img
echo "attack: cvattack exited $?"
cvrun /vms/primes.img:2
echo "attack: cvrun exited $?"
