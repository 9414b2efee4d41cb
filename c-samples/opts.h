/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command line values.  Each dies with a usage error (exit 2) naming @opt,
 * so that a bad value never reaches the run.
 */
#ifndef MPTH_OPTS_H
#define MPTH_OPTS_H

#include <stdbool.h>
#include <stdint.h>

uint64_t opt_size(const char *opt, const char *s);
uint64_t opt_uint(const char *opt, const char *s, uint64_t max);
bool opt_proto(const char *opt, const char *s);	/* true = mptcp */

#endif
