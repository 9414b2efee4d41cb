// SPDX-License-Identifier: GPL-2.0
/* Command line values; see opts.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "util.h"

uint64_t opt_uint(const char *opt, const char *s, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > max)
		die_usage("%s: invalid value '%s' (expected 0..%llu)", opt, s,
			  (unsigned long long)max);
	return v;
}

/* Sizes take binary K/M/G suffixes: 16M = 16 * 2^20. */
uint64_t opt_size(const char *opt, const char *s)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		goto bad;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		goto bad;
	}
	if (shift && end[1])
		goto bad;
	if (v > (UINT64_MAX - 1) >> shift)
		goto bad;
	return (uint64_t)v << shift;
bad:
	die_usage("%s: invalid size '%s' (expected N, NK, NM or NG)", opt, s);
}

/* Decimal k/m/g, with or without "bit" after it: 10mbit = 10 * 10^6 bit/s. */
uint64_t opt_rate(const char *opt, const char *s)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-' || !v)
		goto bad;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1000;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1000 * 1000;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1000 * 1000 * 1000;
		end++;
		break;
	}
	if (*end && strcmp(end, "bit"))
		goto bad;
	if (v > UINT64_MAX / mult)
		goto bad;
	return v * mult;
bad:
	die_usage("%s: invalid rate '%s' (expected N[k|m|g][bit], > 0, in bit/s)",
		  opt, s);
}

bool opt_proto(const char *opt, const char *s)
{
	if (!strcmp(s, "mptcp"))
		return true;
	if (!strcmp(s, "tcp"))
		return false;
	die_usage("%s: expected 'mptcp' or 'tcp', got '%s'", opt, s);
}
