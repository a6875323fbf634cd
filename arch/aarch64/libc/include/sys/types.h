/* SPDX-License-Identifier: MIT */
#ifndef CV_EL2_SYS_TYPES_H
#define CV_EL2_SYS_TYPES_H
#include <stddef.h>
#include <stdint.h>
typedef long ssize_t;
#endif
