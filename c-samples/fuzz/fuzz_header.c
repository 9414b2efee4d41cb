// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the wire parsers in proto.c.
 *
 * Beyond "does not crash": every prefix of the input must get the same
 * verdict the parser would give for the full input if that verdict was an
 * early error, an accepted header must survive an encode/parse round trip
 * unchanged, and the error text must be NUL terminated and printable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static void check_msg(const char *err, size_t len)
{
	size_t i;

	if (strnlen(err, len) == len)
		abort();
	for (i = 0; err[i]; i++)
		if (err[i] < 0x20 || err[i] > 0x7e)
			abort();
}

static void fuzz_hdr(const uint8_t *data, size_t size)
{
	uint8_t out[HDR_LEN];
	struct hdr h, h2;
	char err[128];
	int rc, rc2;
	size_t i;

	memset(err, 'x', sizeof(err));
	rc = hdr_parse(data, size, &h, err, sizeof(err));
	check_msg(err, sizeof(err));
	if (rc > PARSE_SHORT || rc < PARSE_BAD_STATUS)
		abort();
	if (size < HDR_LEN && rc == PARSE_OK)
		abort();

	/* Errors found in a prefix must still be errors with more data. */
	for (i = 0; i < size && i <= HDR_LEN; i++) {
		rc2 = hdr_parse(data, i, &h2, err, sizeof(err));
		if (rc2 < 0 && rc2 != rc)
			abort();
	}

	if (rc != PARSE_OK)
		return;
	hdr_encode(&h, out);
	if (memcmp(out, data, HDR_LEN))
		abort();
	if (hdr_parse(out, HDR_LEN, &h2, err, sizeof(err)) != PARSE_OK)
		abort();
	/* Field by field: struct hdr has padding. */
	if (h.version != h2.version || h.mode != h2.mode ||
	    h.flags != h2.flags || h.seed != h2.seed ||
	    h.duration_ms != h2.duration_ms || h.length != h2.length)
		abort();
}

static void fuzz_res(const uint8_t *data, size_t size)
{
	uint8_t out[RES_LEN];
	char err[128];
	struct res r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = res_parse(data, size, &r, err, sizeof(err));
	check_msg(err, sizeof(err));
	if (rc != PARSE_OK)
		return;
	res_encode(&r, out);
	/* Only the reserved bytes may differ: they are not carried. */
	if (memcmp(out, data, 6) || memcmp(out + 8, data + 8, RES_LEN - 8))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_hdr(data, size);
	fuzz_res(data, size);
	return 0;
}
