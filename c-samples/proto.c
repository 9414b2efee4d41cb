// SPDX-License-Identifier: GPL-2.0
/* Wire protocol and data pattern; see proto.h for the layout. */
#include <stdio.h>
#include <string.h>

#include "proto.h"

static const char *const mode_names[] = {
	[MODE_UPLOAD] = "upload",
	[MODE_DOWNLOAD] = "download",
	[MODE_BIDIR] = "bidir",
};

const char *mode_name(int mode)
{
	if (mode < 0 || mode > MODE_BIDIR)
		return "unknown";
	return mode_names[mode];
}

int mode_parse(const char *s)
{
	int i;

	for (i = 0; i <= MODE_BIDIR; i++)
		if (!strcmp(s, mode_names[i]))
			return i;
	return -1;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/*
 * Compare the part of the magic that has arrived; printing it as hex keeps
 * binary garbage from the peer out of logs and JSON.
 */
static int check_magic(const uint8_t *p, size_t len, const char *magic,
		       char *err, size_t errlen)
{
	size_t n = len < 4 ? len : 4, i;
	char hex[9] = "";

	if (!memcmp(p, magic, n))
		return 0;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02x", p[i]);
	snprintf(err, errlen, "bad magic 0x%s (expected \"%s\")", hex, magic);
	return PARSE_BAD_MAGIC;
}

void hdr_encode(const struct hdr *h, uint8_t out[HDR_LEN])
{
	memcpy(out, HDR_MAGIC, 4);
	out[4] = h->version;
	out[5] = h->mode;
	put16(out + 6, h->flags);
	put32(out + 8, h->seed);
	put32(out + 12, h->duration_ms);
	put64(out + 16, h->length);
}

int hdr_parse(const void *buf, size_t len, struct hdr *h,
	      char *err, size_t errlen)
{
	const uint8_t *p = buf;
	int rc;

	rc = check_magic(p, len, HDR_MAGIC, err, errlen);
	if (rc)
		return rc;
	if (len > 4 && p[4] != HDR_VERSION) {
		snprintf(err, errlen, "unsupported version %u (expected %u)",
			 p[4], HDR_VERSION);
		return PARSE_BAD_VERSION;
	}
	if (len > 5 && p[5] > MODE_BIDIR) {
		snprintf(err, errlen, "unknown mode %u", p[5]);
		return PARSE_BAD_MODE;
	}
	if (len > 7 && (get16(p + 6) & ~HDR_FLAGS_KNOWN)) {
		snprintf(err, errlen, "unknown flags 0x%04x", get16(p + 6));
		return PARSE_BAD_FLAGS;
	}
	if (len < HDR_LEN) {
		snprintf(err, errlen, "truncated header (%zu of %d bytes)",
			 len, HDR_LEN);
		return PARSE_SHORT;
	}

	h->version = p[4];
	h->mode = p[5];
	h->flags = get16(p + 6);
	h->seed = get32(p + 8);
	h->duration_ms = get32(p + 12);
	h->length = get64(p + 16);

	/* The server would send forever and nobody could tell it to stop. */
	if (h->mode != MODE_UPLOAD && h->length == LEN_UNLIMITED &&
	    !h->duration_ms && !(h->flags & HDR_FLAG_UNTIL_EOF)) {
		snprintf(err, errlen,
			 "%s without length, duration or UNTIL_EOF",
			 mode_name(h->mode));
		return PARSE_BAD_LENGTH;
	}
	if ((h->flags & HDR_FLAG_UNTIL_EOF) &&
	    (h->mode == MODE_UPLOAD || h->length != LEN_UNLIMITED)) {
		snprintf(err, errlen,
			 "UNTIL_EOF flag needs download or bidir and an unlimited length");
		return PARSE_BAD_FLAGS;
	}
	if (h->mode != MODE_UPLOAD && (h->flags & HDR_FLAG_NOVERIFY)) {
		snprintf(err, errlen, "NOVERIFY flag is only valid for upload");
		return PARSE_BAD_FLAGS;
	}
	err[0] = '\0';
	return PARSE_OK;
}

void res_encode(const struct res *r, uint8_t out[RES_LEN])
{
	memcpy(out, RES_MAGIC, 4);
	out[4] = RES_VERSION;
	out[5] = r->status;
	put16(out + 6, 0);
	put64(out + 8, r->bytes);
	put64(out + 16, r->mismatch);
}

int res_parse(const void *buf, size_t len, struct res *r,
	      char *err, size_t errlen)
{
	const uint8_t *p = buf;
	int rc;

	rc = check_magic(p, len, RES_MAGIC, err, errlen);
	if (rc)
		return rc;
	if (len > 4 && p[4] != RES_VERSION) {
		snprintf(err, errlen, "unsupported result version %u", p[4]);
		return PARSE_BAD_VERSION;
	}
	if (len > 5 && p[5] > RES_ERROR) {
		snprintf(err, errlen, "unknown result status %u", p[5]);
		return PARSE_BAD_STATUS;
	}
	if (len < RES_LEN) {
		snprintf(err, errlen, "truncated result (%zu of %d bytes)",
			 len, RES_LEN);
		return PARSE_SHORT;
	}
	r->status = p[5];
	r->bytes = get64(p + 8);
	r->mismatch = get64(p + 16);
	err[0] = '\0';
	return PARSE_OK;
}

/* xorshift32: cheap, full period, and good enough to look random. */
static uint32_t xorshift32(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

void pat_fill(uint8_t *tab, uint32_t seed)
{
	/* Scramble so that nearby seeds give unrelated tables; 0 is a fixed
	 * point of xorshift and must be avoided.
	 */
	uint32_t st = (seed ^ 0x6d707468u) * 2654435761u;
	size_t i;

	if (!st)
		st = 1;
	for (i = 0; i < 8; i++)
		xorshift32(&st);
	for (i = 0; i < PAT_PERIOD; i++)
		tab[i] = xorshift32(&st) >> 24;
	for (; i < PAT_TABLE_LEN; i++)
		tab[i] = tab[i - PAT_PERIOD];
}

int64_t pat_check(const uint8_t *tab, uint64_t off, const uint8_t *buf,
		  size_t n)
{
	size_t done = 0, k, i;
	uint64_t pos = off % PAT_PERIOD;

	while (done < n) {
		k = n - done < PAT_SPAN ? n - done : PAT_SPAN;
		if (memcmp(buf + done, tab + pos, k)) {
			for (i = 0; buf[done + i] == tab[pos + i]; i++)
				;
			return (int64_t)(off + done + i);
		}
		done += k;
		pos = (pos + k) % PAT_PERIOD;
	}
	return -1;
}

/*
 * The payload offset nearest to @near whose pattern bytes are the
 * PAT_PROBE bytes at @buf, or -1 when no offset has them.
 */
static int64_t pat_find(const uint8_t *tab, uint64_t near, const uint8_t *buf)
{
	uint64_t cand, dist, best_dist = UINT64_MAX;
	int64_t best = -1;
	uint32_t p;
	int j;

	for (p = 0; p < PAT_PERIOD; p++) {
		if (memcmp(tab + p, buf, PAT_PROBE))
			continue;
		for (j = -1; j <= 1; j++) {
			cand = near - near % PAT_PERIOD + p;
			if (j < 0 && cand < PAT_PERIOD)
				continue;
			cand += (int64_t)j * PAT_PERIOD;
			dist = cand > near ? cand - near : near - cand;
			if (dist < best_dist) {
				best_dist = dist;
				best = (int64_t)cand;
			}
		}
	}
	return best;
}

void pat_explain(const uint8_t *tab, uint64_t bad, const uint8_t *buf,
		 size_t n, char *out, size_t len)
{
	size_t i, k = n < PAT_PROBE ? n : PAT_PROBE;
	int64_t at;

	for (i = 0; i < k && !buf[i]; i++)
		;
	if (k && i == k) {
		snprintf(out, len, "%zu zero bytes there", k);
		return;
	}
	if (n < PAT_EXPLAIN_LEN) {
		snprintf(out, len, "%zu bytes there, too few to place", n);
		return;
	}
	at = pat_find(tab, bad, buf);
	if (at >= 0) {
		uint64_t d = (uint64_t)at > bad ? at - bad : bad - at;

		snprintf(out, len,
			 "the bytes there are those of offset %lld, %llu bytes %s",
			 (long long)at, (unsigned long long)d,
			 (uint64_t)at > bad ? "further on" : "back");
		return;
	}
	/* A byte changed in place: what follows it is where it belongs. */
	if (pat_find(tab, bad + 1, buf + 1) == (int64_t)bad + 1) {
		snprintf(out, len, "one byte changed, the bytes after it in place");
		return;
	}
	snprintf(out, len, "the bytes there are of no offset of the pattern");
}
