#!/bin/sh
# Root points the ITS's device table at the running vault's secret page
# (gic-attack.sh, once the vault has stored its secret): corevisor stops
# the machine before the ITS hears of it.
cvrun --pa-of 0x48600000 --on-event /tests/gic-attack.sh /vms/vault.img
