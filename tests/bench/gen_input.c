// SPDX-License-Identifier: MIT
/*
 * gen_input.c - the fixed input the compressor benchmarks work on.
 *
 * Writes SIZE_MB megabytes of deterministic, mixed data to stdout: runs of
 * English-like text, CSV-like numeric rows, repeated blocks and a share of
 * random bytes, in 64 KiB pieces chosen by a fixed-seed PRNG.  The mix
 * compresses to roughly a third, so compressors spend their time in real
 * match finding and entropy coding rather than on trivial input, and every
 * machine benchmarks the same bytes.  Usage: gen_input SIZE_MB > FILE
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIECE (64 * 1024)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic on every platform */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static const char *const words[] = {
	"the",	    "lock",  "thread", "mutex",	 "wait",    "signal",  "queue",
	"task",	    "event", "order",  "before", "after",   "happens", "race",
	"data",	    "write", "read",   "shared", "memory",  "cycle",   "graph",
	"deadlock", "trace", "record", "stack",	 "frame",   "symbol",  "report",
	"and",	    "of",    "to",     "in",	 "is",	    "a",       "with",
	"under",    "while", "every",  "second", "program", "runtime", "buffer",
};

static size_t fill_text(uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *w =
			words[rng() % (sizeof(words) / sizeof(words[0]))];
		size_t len = strlen(w);

		if (i + len + 1 > n)
			break;
		memcpy(p + i, w, len);
		i += len;
		p[i++] = rng() % 11 == 0 ? '\n' : ' ';
	}
	memset(p + i, '.', n - i);
	return n;
}

static size_t fill_csv(uint8_t *p, size_t n)
{
	size_t i = 0;
	char row[96];

	while (i < n) {
		int len =
			snprintf(row, sizeof(row), "%llu,%llu,%llu.%02llu,%s\n",
				 (unsigned long long)(rng() % 100000),
				 (unsigned long long)(rng() % 1000),
				 (unsigned long long)(rng() % 10000),
				 (unsigned long long)(rng() % 100),
				 rng() & 1 ? "ok" : "retry");

		if (i + (size_t)len > n)
			break;
		memcpy(p + i, row, (size_t)len);
		i += (size_t)len;
	}
	memset(p + i, '\n', n - i);
	return n;
}

static size_t fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rng();

		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t piece[PIECE], repeat[PIECE];
	unsigned long mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	unsigned long pieces = mb * (1024 * 1024 / PIECE);

	fill_text(repeat, PIECE);
	for (unsigned long i = 0; i < pieces; i++) {
		unsigned int pick = rng() % 10;

		if (pick < 4)
			fill_text(piece, PIECE);
		else if (pick < 7)
			fill_csv(piece, PIECE);
		else if (pick < 8)
			fill_random(piece, PIECE);
		else
			memcpy(piece, repeat, PIECE);
		if (fwrite(piece, 1, PIECE, stdout) != PIECE) {
			perror("gen_input: write");
			return 1;
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
