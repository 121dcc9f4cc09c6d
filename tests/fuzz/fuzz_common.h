/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - helpers shared by the libFuzzer harnesses.
 *
 * Parsers that only take a path get the input through a memfd, reached as
 * /proc/self/fd/N: no disk traffic, and the reader's mmap sees exactly the
 * bytes the fuzzer produced.  The memfd is created once and resized per
 * input, because a new fd per execution would make fd numbers (and so the
 * path strings) vary for no reason.
 */
#ifndef HBT_FUZZ_COMMON_H
#define HBT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fuzz_memfd = -1;
static char fuzz_memfd_path[64];

/* Store the input in the memfd; returns its path, or NULL (skip input). */
static inline const char *fuzz_input_path(const uint8_t *data, size_t size)
{
	if (fuzz_memfd < 0) {
		fuzz_memfd = memfd_create("hbt-fuzz", MFD_CLOEXEC);
		if (fuzz_memfd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(fuzz_memfd_path, sizeof(fuzz_memfd_path),
			 "/proc/self/fd/%d", fuzz_memfd);
	}
	if (ftruncate(fuzz_memfd, 0) || ftruncate(fuzz_memfd, (off_t)size))
		return NULL;
	if (size && pwrite(fuzz_memfd, data, size, 0) != (ssize_t)size)
		return NULL;
	return fuzz_memfd_path;
}

/*
 * An exact-size heap copy (no NUL) so that ASan flags a parser reading one
 * byte past 'len'.  The caller frees it.
 */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	if (p && size)
		memcpy(p, data, size);
	return p;
}

/* A NUL-terminated heap copy. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	if (p) {
		memcpy(p, data, size);
		p[size] = '\0';
	}
	return p;
}

#endif /* HBT_FUZZ_COMMON_H */
