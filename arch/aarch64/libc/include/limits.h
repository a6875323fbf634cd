/* SPDX-License-Identifier: MIT */
/*
 * Reached through gcc's own <limits.h> (#include_next): the compiler's
 * header defines every limit the EL2 image uses; nothing to add.
 */
#ifndef CV_EL2_LIMITS_H
#define CV_EL2_LIMITS_H
#endif
