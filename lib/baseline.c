// SPDX-License-Identifier: MIT
/*
 * baseline.c - reading and writing baseline files (see baseline.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"

static int baseline_add(struct baseline *b, const char *id)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char(*ids)[17] = realloc(b->ids, cap * sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		b->ids = ids;
		b->cap = cap;
	}
	for (int i = 0; i < 16; i++)
		b->ids[b->n][i] = (char)tolower((unsigned char)id[i]);
	b->ids[b->n][16] = '\0';
	b->n++;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* Copy the first word of 's' for an error message, cut to a sane size. */
static void first_word(const char *s, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	while (n < len && !isspace((unsigned char)s[n]) && s[n] != '#')
		n++;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

int baseline_parse(const char *name, const char *text, size_t len,
		   struct baseline *b, char *err, size_t errlen)
{
	size_t pos = 0;
	unsigned lineno = 0;

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		size_t i = 0, id_len = 0;
		char word[40];
		int ret;

		pos += n + (nl ? 1 : 0);
		lineno++;
		while (i < n && isspace((unsigned char)line[i]))
			i++;
		if (i == n || line[i] == '#')
			continue;
		while (i + id_len < n &&
		       isxdigit((unsigned char)line[i + id_len]))
			id_len++;
		/* after the id: end of line, or blanks then a comment */
		size_t j = i + id_len;
		while (j < n && isspace((unsigned char)line[j]))
			j++;
		if (id_len != 16 || (j < n && line[j] != '#')) {
			first_word(line + i, n - i, word, sizeof(word));
			snprintf(err, errlen,
				 "%s:%u: bad finding id '%s' (expected 16 hex "
				 "digits)",
				 name, lineno, word);
			return -EINVAL;
		}
		ret = baseline_add(b, line + i);
		if (ret < 0) {
			snprintf(err, errlen, "%s: %s", name, strerror(-ret));
			return ret;
		}
	}
	if (b->n)
		qsort(b->ids, b->n, sizeof(*b->ids), cmp_id);
	return 0;
}

int baseline_load(const char *path, struct baseline *b, char *err,
		  size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot open baseline '%s': %s", path,
			 strerror(errno));
		return ret;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *t = realloc(text, cap + 65536);

			if (!t) {
				ret = -ENOMEM;
				snprintf(err, errlen, "%s: %s", path,
					 strerror(ENOMEM));
				goto out;
			}
			text = t;
			cap += 65536;
		}
		size_t got = fread(text + len, 1, cap - len, f);

		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "cannot read baseline '%s'", path);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a text file", path);
		goto out;
	}
	ret = baseline_parse(path, text, len, b, err, errlen);
out:
	free(text);
	fclose(f);
	return ret;
}

bool baseline_contains(const struct baseline *b, const char *id)
{
	char key[17];

	if (!b->n || strlen(id) != 16)
		return false;
	for (int i = 0; i < 16; i++)
		key[i] = (char)tolower((unsigned char)id[i]);
	key[16] = '\0';
	return bsearch(key, b->ids, b->n, sizeof(*b->ids), cmp_id) != NULL;
}

void baseline_free(struct baseline *b)
{
	free(b->ids);
	memset(b, 0, sizeof(*b));
}

static int cmp_finding(const void *a, const void *b)
{
	const struct finding *fa = *(const struct finding *const *)a;
	const struct finding *fb = *(const struct finding *const *)b;

	if (fa->kind != fb->kind)
		return fa->kind < fb->kind ? -1 : 1;
	return strcmp(fa->id, fb->id);
}

/* A message on one line: newlines would end the comment early. */
static void put_comment(FILE *out, const char *s)
{
	for (; s && *s; s++)
		putc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
}

int baseline_write_stream(FILE *out, const struct finding_list *l)
{
	const struct finding **v = NULL;
	size_t n = 0;

	if (l->n) {
		v = malloc(l->n * sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < l->n; i++)
		if (!l->items[i]->suppressed_by)
			v[n++] = l->items[i];
	if (n)
		qsort(v, n, sizeof(*v), cmp_finding);
	fputs("# hbtrace baseline: findings accepted for now; `hbtrace check\n"
	      "# --baseline FILE` fails only on findings not listed here.\n"
	      "# One finding id per line, '#' starts a comment.\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(v[i]->id, v[i - 1]->id))
			continue;
		fprintf(out, "%s  # %s: ", v[i]->id,
			finding_kind_name(v[i]->kind));
		put_comment(out, v[i]->message);
		putc('\n', out);
	}
	free(v);
	return ferror(out) ? -EIO : 0;
}

int baseline_write(const char *path, const struct finding_list *l, char *err,
		   size_t errlen)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot write baseline '%s': %s", path,
			 strerror(errno));
		return ret;
	}
	ret = baseline_write_stream(f, l);
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret < 0)
		snprintf(err, errlen, "cannot write baseline '%s': %s", path,
			 strerror(-ret));
	return ret;
}
