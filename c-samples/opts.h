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
/* A rate in bits per second, as tc writes one: N, Nk, Nm, Ng, or Nkbit... */
uint64_t opt_rate(const char *opt, const char *s);
bool opt_proto(const char *opt, const char *s);	/* true = mptcp */

#endif
