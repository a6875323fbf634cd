#!/bin/sh
# make bench (bench/linux_bench.py) boots with rdinit=/tests/bench.sh: the
# virtual counter first thing at /init (the boot's length), then the HVC
# round trip from the module (under corevisor only), then power-off.
/bin/cvrun --counter
/bin/busybox mount -t devtmpfs devtmpfs /dev
if /bin/busybox insmod /lib/modules/corevisor.ko 2>/dev/null; then
	/bin/cvrun --bench-noop 100000
fi
/bin/busybox poweroff -f
