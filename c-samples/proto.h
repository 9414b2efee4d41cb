/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wire protocol and data pattern shared by mptcp-client and mptcp-server.
 *
 * Everything here is a pure function of its arguments (no globals, no I/O)
 * so that it can be linked alone into the libFuzzer harness.
 *
 * Request header, sent once by the client at the start of a connection,
 * all integers in network byte order:
 *
 *   offset size field
 *    0     4    magic        "MPTH"
 *    4     1    version      1
 *    5     1    mode         0 upload, 1 download, 2 bidir
 *    6     2    flags        bit 0 NOVERIFY: upload payload is counted but
 *                            not compared with the pattern (mptcp-hello);
 *                            bit 1 UNTIL_EOF: download/bidir, the server
 *                            sends until the client half-closes (length
 *                            must be UINT64_MAX); every other bit must be 0
 *    8     4    seed         pattern seed
 *   12     4    duration_ms  0 = none; download/bidir: the server sends for
 *                            this long
 *   16     8    length       payload bytes in each direction the mode uses;
 *                            UINT64_MAX = until EOF (upload), until
 *                            duration_ms or, with UNTIL_EOF, until the
 *                            client's EOF (download/bidir)
 *   24          (end)
 *
 * Result record, sent by the server in upload mode only, once it has seen
 * EOF or stopped reading because of an error (the client uses it to learn
 * that the bytes arrived intact, and when):
 *
 *    0     4    magic        "MPTR"
 *    4     1    version      1
 *    5     1    status       0 ok, 1 mismatch, 2 truncated, 3 error
 *    6     2    reserved     0
 *    8     8    bytes_received  payload bytes the server received
 *   16     8    mismatch     first bad payload offset, UINT64_MAX = none
 *   24          (end)
 */
#ifndef MPTH_PROTO_H
#define MPTH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HDR_MAGIC		"MPTH"
#define HDR_VERSION		1
#define HDR_LEN			24
#define HDR_FLAG_NOVERIFY	0x0001
#define HDR_FLAG_UNTIL_EOF	0x0002
#define HDR_FLAGS_KNOWN		(HDR_FLAG_NOVERIFY | HDR_FLAG_UNTIL_EOF)
#define LEN_UNLIMITED		UINT64_MAX

#define RES_MAGIC		"MPTR"
#define RES_VERSION		1
#define RES_LEN			24

enum mode {
	MODE_UPLOAD = 0,
	MODE_DOWNLOAD = 1,
	MODE_BIDIR = 2,
};

struct hdr {
	uint8_t version;
	uint8_t mode;
	uint16_t flags;
	uint32_t seed;
	uint32_t duration_ms;
	uint64_t length;
};

enum res_status {
	RES_OK = 0,
	RES_MISMATCH = 1,
	RES_TRUNCATED = 2,
	RES_ERROR = 3,
};

struct res {
	uint8_t status;
	uint64_t bytes;
	uint64_t mismatch;	/* UINT64_MAX = none */
};

/* Parser results: complete, need more bytes, or a definite error. */
enum parse_rc {
	PARSE_OK = 0,
	PARSE_SHORT = 1,
	PARSE_BAD_MAGIC = -1,
	PARSE_BAD_VERSION = -2,
	PARSE_BAD_MODE = -3,
	PARSE_BAD_FLAGS = -4,
	PARSE_BAD_LENGTH = -5,
	PARSE_BAD_STATUS = -6,
};

const char *mode_name(int mode);
int mode_parse(const char *s);

void hdr_encode(const struct hdr *h, uint8_t out[HDR_LEN]);
/*
 * Parse the first @len bytes of a header.  Fields are checked as soon as
 * they are complete, so garbage is rejected without waiting for 24 bytes.
 * On error a human readable reason is written to @err.
 */
int hdr_parse(const void *buf, size_t len, struct hdr *h,
	      char *err, size_t errlen);

void res_encode(const struct res *r, uint8_t out[RES_LEN]);
int res_parse(const void *buf, size_t len, struct res *r,
	      char *err, size_t errlen);

/*
 * Data pattern: byte at payload offset i is tab[i % PAT_PERIOD].  The
 * period is prime so that a chunk which is shifted, duplicated or lost
 * (whose size is almost always a power-of-two multiple) cannot line up
 * with the pattern again.  The table holds PAT_SPAN more bytes beyond the
 * period so any PAT_SPAN bytes starting anywhere in the period are
 * contiguous: one memcmp() or send() per chunk, no wrapping.
 */
#define PAT_PERIOD	65521u
#define PAT_SPAN	(128u * 1024)
#define PAT_TABLE_LEN	(PAT_PERIOD + PAT_SPAN)

void pat_fill(uint8_t *tab, uint32_t seed);

static inline const uint8_t *pat_at(const uint8_t *tab, uint64_t off)
{
	return tab + off % PAT_PERIOD;
}

/*
 * Compare @n received bytes that start at payload offset @off.  Returns
 * the offset of the first differing byte, or -1 when all match.
 */
int64_t pat_check(const uint8_t *tab, uint64_t off, const uint8_t *buf,
		  size_t n);

/* Bytes pat_explain() places: enough that a chance match is nil. */
#define PAT_PROBE	16
/* What it needs from the bad offset on: the probe, and one more to tell a
 * byte changed in place. */
#define PAT_EXPLAIN_LEN	(PAT_PROBE + 1)

/*
 * For a mismatch report: what the @n bytes received from payload offset
 * @bad on are.  Writes a phrase to @out ("the bytes there are those of
 * offset X, N bytes further on", "zero bytes", "one byte changed", ...),
 * so a shifted, repeated or lost stretch can be told from garbage.
 */
void pat_explain(const uint8_t *tab, uint64_t bad, const uint8_t *buf,
		 size_t n, char *out, size_t len);

#endif
