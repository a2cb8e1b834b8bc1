// SPDX-License-Identifier: GPL-2.0
/* The vfio_mdom tracepoints themselves (see trace.h). */
#define CREATE_TRACE_POINTS
#include "trace.h"
