// SPDX-License-Identifier: MIT
/* mem_memset.c with the copy made after joining the clearing thread. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static char buf[256];
static char copy[256];

static void *clear(void *arg)
{
	memset(buf, 1, sizeof(buf));
	return arg;
}

static void *snapshot(void *arg)
{
	memcpy(copy, buf, sizeof(buf));
	return arg;
}

int main(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, clear, NULL);
	pthread_join(a, NULL);
	pthread_create(&b, NULL, snapshot, NULL);
	pthread_join(b, NULL);
	printf("copy[7] = %d\n", copy[7]);
	return copy[7] != 1;
}
