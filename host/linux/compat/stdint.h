/* SPDX-License-Identifier: MIT */
/* corevisor's public headers include <stdint.h>; the kernel has its types. */
#ifndef HOST_LINUX_COMPAT_STDINT_H
#define HOST_LINUX_COMPAT_STDINT_H
#include <linux/types.h>
#endif
