/* SPDX-License-Identifier: GPL-2.0 */
/* Output files: written as the run goes, or appearing whole at the end. */
#ifndef MPTH_OUTFILE_H
#define MPTH_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

/* @path, or stdout for "-"; dies (exit 1) naming @opt when it cannot. */
FILE *out_open(const char *path, const char *opt);

/* A file the harness polls: complete under its name, or not there. */
struct afile {
	FILE *f;
	char *path;
	char *tmp;
};

bool afile_open(struct afile *a, const char *path);
bool afile_commit(struct afile *a);
/* --ready: the port, as decimal and a newline. */
bool write_ready_file(const char *path, unsigned int port);

#endif
