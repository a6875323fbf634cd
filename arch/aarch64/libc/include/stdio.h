/* SPDX-License-Identifier: MIT */
/* libsodium's headers include <stdio.h> but use nothing from it at EL2. */
#ifndef CV_EL2_STDIO_H
#define CV_EL2_STDIO_H
#include <stddef.h>
#endif
