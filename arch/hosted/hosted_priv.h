/* SPDX-License-Identifier: MIT */
/* Shared between the hosted machine's own files (not for tests). */
#ifndef CV_HOSTED_PRIV_H
#define CV_HOSTED_PRIV_H

#include <cv/types.h>

void hosted_count_host_fault(void);

#endif
