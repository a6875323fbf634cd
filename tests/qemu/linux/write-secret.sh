#!/bin/sh
# Root writes the running vault's secret page: corevisor stops the machine.
PEEK_MODE=write cvrun --pa-of 0x48600000 --on-event /tests/peek.sh \
	/vms/vault.img
