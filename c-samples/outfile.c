// SPDX-License-Identifier: GPL-2.0
/* Output files; see outfile.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "util.h"

FILE *out_open(const char *path, const char *opt)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		die(EXIT_LOCAL, "%s %s: %s", opt, path, strerror(errno));
	return f;
}

/*
 * Files the harness polls (--ready, --json) appear complete or not at all:
 * write a temporary file next to the target and rename it into place.
 */
static struct afile *afile_pending;

/* A die() between open and commit must not leave a temporary file behind. */
static void afile_cleanup(void)
{
	if (afile_pending && afile_pending->tmp)
		unlink(afile_pending->tmp);
}

bool afile_open(struct afile *a, const char *path)
{
	static bool registered;

	memset(a, 0, sizeof(*a));
	if (!strcmp(path, "-")) {
		a->f = stdout;
		return true;
	}
	if (!registered) {
		atexit(afile_cleanup);
		registered = true;
	}
	a->path = xstrdup(path);
	a->tmp = xmalloc(strlen(path) + 32);
	sprintf(a->tmp, "%s.tmp.%ld", path, (long)getpid());
	a->f = fopen(a->tmp, "w");
	if (!a->f) {
		warnx("cannot create %s: %s", a->tmp, strerror(errno));
		free(a->path);
		free(a->tmp);
		return false;
	}
	/* Only one is ever open at a time: the JSON summary. */
	if (!afile_pending)
		afile_pending = a;
	return true;
}

bool afile_commit(struct afile *a)
{
	bool ok = true, werr;

	if (a->f == stdout) {
		fflush(stdout);
		return !ferror(stdout);
	}
	/* fclose() even after a write error, or the FILE leaks. */
	werr = ferror(a->f);
	if (fclose(a->f) || werr) {
		warnx("writing %s: %s", a->tmp, strerror(errno));
		ok = false;
	} else if (rename(a->tmp, a->path)) {
		warnx("rename %s to %s: %s", a->tmp, a->path, strerror(errno));
		ok = false;
	}
	if (!ok)
		unlink(a->tmp);
	if (afile_pending == a)
		afile_pending = NULL;
	free(a->path);
	free(a->tmp);
	return ok;
}

bool write_ready_file(const char *path, unsigned int port)
{
	struct afile a;

	if (!afile_open(&a, path))
		return false;
	fprintf(a.f, "%u\n", port);
	return afile_commit(&a);
}
