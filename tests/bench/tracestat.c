// SPDX-License-Identifier: MIT
/*
 * tracestat.c - count what a trace file is made of, for bytes per event.
 *
 * Walks the chunks of a .hbt file directly with the record codec (not the
 * merging reader: this must work on any trace the format allows and must
 * not depend on the merge being finished) and prints one line of
 * key=value pairs:
 *
 *   file=BYTES events=N event_bytes=B stack_bytes=S def_bytes=D chunks=C
 *   threads=T torn=0|1
 *
 * event_bytes counts event records only; stack_bytes the STACK records (the
 * "stack table"); def_bytes the other definitions (strings, modules, ...).
 * Usage: tracestat TRACE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hbt_codec.h"

struct tstat_counts {
	unsigned long long events, event_bytes, stack_bytes, def_bytes;
	unsigned long long chunks;
	unsigned int max_thread;
	int torn;
};

static void tstat_chunk(const uint8_t *p, const uint8_t *end,
			struct tstat_counts *c)
{
	struct hbt_codec_state st = {0, 0};
	struct hbt_event ev;

	while (p < end) {
		ssize_t n = hbt_decode_record(p, end, &st, &ev);

		if (n == 0)
			return;
		if (n < 0) {
			c->torn = 1;
			return;
		}
		if (ev.type == HBT_REC_STACK)
			c->stack_bytes += (unsigned long long)n;
		else if (hbt_record_is_definition(ev.type))
			c->def_bytes += (unsigned long long)n;
		else {
			/* a LOCK_REPEAT stands for its acquisitions and
			 * releases, as the reader hands them out */
			c->events += ev.type == HBT_REC_LOCK_REPEAT
					     ? ev.arg + ev.arg2
					     : 1;
			c->event_bytes += (unsigned long long)n;
		}
		p += n;
	}
}

int main(int argc, char **argv)
{
	struct tstat_counts c;
	const struct hbt_file_header *h;
	const uint8_t *map;
	struct stat sb;
	size_t off;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: tracestat TRACE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "error: cannot open trace '%s': %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	if ((size_t)sb.st_size < HBT_HEADER_SIZE) {
		fprintf(stderr,
			"error: cannot open trace '%s': truncated header\n",
			argv[1]);
		return 2;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "error: cannot map trace '%s': %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	h = (const struct hbt_file_header *)map;
	if (memcmp(h->magic, HBT_MAGIC, 8) != 0) {
		fprintf(stderr, "error: cannot open trace '%s': not a trace\n",
			argv[1]);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	off = h->header_size >= HBT_HEADER_SIZE ? h->header_size
						: HBT_HEADER_SIZE;
	while (off + HBT_CHUNK_HEADER_SIZE <= (size_t)sb.st_size) {
		const struct hbt_chunk_header *ch =
			(const struct hbt_chunk_header *)(map + off);
		size_t size = ch->size, avail = (size_t)sb.st_size - off;

		/* a chunk without magic (torn open) is skipped a page at a time
		 */
		if (ch->magic != HBT_CHUNK_MAGIC ||
		    size < HBT_CHUNK_HEADER_SIZE || size > HBT_MAX_CHUNK_SIZE ||
		    size % HBT_CHUNK_ALIGN) {
			off += HBT_CHUNK_ALIGN;
			continue;
		}
		if (size > avail) {
			size = avail;
			c.torn = 1;
		}
		c.chunks++;
		if (ch->thread > c.max_thread)
			c.max_thread = ch->thread;
		tstat_chunk(map + off + HBT_CHUNK_HEADER_SIZE, map + off + size,
			    &c);
		off += size;
	}
	printf("file=%lld events=%llu event_bytes=%llu stack_bytes=%llu "
	       "def_bytes=%llu chunks=%llu threads=%u torn=%d\n",
	       (long long)sb.st_size, c.events, c.event_bytes, c.stack_bytes,
	       c.def_bytes, c.chunks, c.max_thread, c.torn);
	munmap((void *)map, (size_t)sb.st_size);
	return 0;
}
