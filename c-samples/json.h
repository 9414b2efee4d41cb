/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal JSON writer: enough for flat objects and arrays of them.  The
 * caller passes a NULL key inside arrays; commas come by themselves.
 */
#ifndef MPTH_JSON_H
#define MPTH_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH	8

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
/* A NULL string is written as null. */
void json_str(struct json *j, const char *key, const char *v);
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
/* Three decimals; NaN and infinities (no such JSON number) as null. */
void json_num(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);

#endif
