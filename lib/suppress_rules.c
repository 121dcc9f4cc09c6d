// SPDX-License-Identifier: MIT
/*
 * suppress_rules.c - parsing suppression files and matching findings
 * against them (see suppress_rules.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suppress_rules.h"

static int kind_by_name(const char *s, size_t len)
{
	for (int k = 0; k < FK__COUNT; k++) {
		const char *n = finding_kind_name(k);

		if (n && strlen(n) == len && !memcmp(n, s, len))
			return k;
	}
	return -2;
}

static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* A piece of the offending line for an error message, cut to a sane size. */
static void quote(const char *s, size_t len, char *out, size_t outlen)
{
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

static int add_rule(struct suppress_set *s, int kind, const char *kind_s,
		    size_t kind_len, const char *pat, size_t pat_len,
		    unsigned line)
{
	struct suppress_rule *r =
		realloc(s->rules, (s->n + 1) * sizeof(*s->rules));

	if (!r)
		return -ENOMEM;
	s->rules = r;
	r = &s->rules[s->n];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->line = line;
	r->pattern = strndup(pat, pat_len);
	r->text = malloc(kind_len + 1 + pat_len + 1);
	if (!r->pattern || !r->text) {
		free(r->pattern);
		free(r->text);
		return -ENOMEM;
	}
	memcpy(r->text, kind_s, kind_len);
	r->text[kind_len] = ':';
	memcpy(r->text + kind_len + 1, pat, pat_len);
	r->text[kind_len + 1 + pat_len] = '\0';
	s->n++;
	return 0;
}

int suppress_parse(const char *name, const char *text, size_t len,
		   struct suppress_set *s, char *err, size_t errlen)
{
	size_t pos = 0;
	unsigned lineno = 0;
	char q[80];

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		const char *colon, *kind_s, *pat;
		size_t kind_len, pat_len;
		int kind, ret;

		pos += n + (nl ? 1 : 0);
		lineno++;
		trim(&line, &n);
		if (!n || line[0] == '#')
			continue;
		colon = memchr(line, ':', n);
		if (!colon) {
			quote(line, n, q, sizeof(q));
			snprintf(err, errlen,
				 "%s:%u: expected 'kind:pattern', got '%s'",
				 name, lineno, q);
			return -EINVAL;
		}
		kind_s = line;
		kind_len = (size_t)(colon - line);
		trim(&kind_s, &kind_len);
		pat = colon + 1;
		pat_len = (size_t)(line + n - pat);
		trim(&pat, &pat_len);
		if (kind_len == 1 && kind_s[0] == '*') {
			kind = -1;
		} else {
			kind = kind_by_name(kind_s, kind_len);
			if (kind < -1) {
				quote(kind_s, kind_len, q, sizeof(q));
				snprintf(err, errlen,
					 "%s:%u: unknown kind '%s' (want a "
					 "finding kind or '*')",
					 name, lineno, q);
				return -EINVAL;
			}
		}
		if (!pat_len) {
			snprintf(err, errlen, "%s:%u: empty pattern", name,
				 lineno);
			return -EINVAL;
		}
		ret = add_rule(s, kind, kind_s, kind_len, pat, pat_len, lineno);
		if (ret < 0) {
			snprintf(err, errlen, "%s: %s", name, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int suppress_load(const char *path, struct suppress_set *s, char *err,
		  size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot open suppressions '%s': %s", path,
			 strerror(errno));
		return ret;
	}
	for (;;) {
		size_t got;

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
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (!got)
			break;
	}
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "cannot read suppressions '%s'", path);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a text file", path);
		goto out;
	}
	ret = suppress_parse(path, text, len, s, err, errlen);
out:
	free(text);
	fclose(f);
	return ret;
}

void suppress_free(struct suppress_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->rules[i].pattern);
		free(s->rules[i].text);
	}
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

bool suppress_glob(const char *pat, const char *str)
{
	/* Iterative glob with one backtrack point: linear enough for the
	 * short names we match, and no recursion on hostile patterns. */
	const char *star = NULL, *resume = NULL;

	while (*str) {
		if (*pat == '*') {
			star = pat++;
			resume = str;
		} else if (*pat == *str) {
			pat++;
			str++;
		} else if (star) {
			pat = star + 1;
			str = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool name_matches(const char *pat, const char *name, bool is_path)
{
	if (!name || !*name)
		return false;
	if (suppress_glob(pat, name))
		return true;
	return is_path && suppress_glob(pat, base_name(name));
}

static bool rule_matches(const struct suppress_rule *r, const struct finding *f)
{
	if (r->kind >= 0 && r->kind != (int)f->kind)
		return false;
	if (!strcmp(r->pattern, "*"))
		return true;
	for (size_t i = 0; i < f->nlocks; i++)
		if (name_matches(r->pattern, f->locks[i].name, false))
			return true;
	for (size_t i = 0; i < f->nsteps; i++) {
		const struct finding_step *s = &f->steps[i];

		for (size_t j = 0; j < s->nframes; j++) {
			const struct finding_frame *fr = &s->frames[j];

			if (name_matches(r->pattern, fr->function, false) ||
			    name_matches(r->pattern, fr->file, true) ||
			    (fr->module &&
			     suppress_glob(r->pattern, base_name(fr->module))))
				return true;
		}
	}
	return false;
}

struct suppress_rule *suppress_match(const struct suppress_set *s,
				     const struct finding *f)
{
	for (size_t i = 0; i < s->n; i++)
		if (rule_matches(&s->rules[i], f))
			return &s->rules[i];
	return NULL;
}

int suppress_apply_set(struct suppress_set *s, struct finding_list *l)
{
	int n = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct finding *f = l->items[i];
		struct suppress_rule *r;

		if (f->suppressed_by)
			continue;
		r = suppress_match(s, f);
		if (!r)
			continue;
		f->suppressed_by = strdup(r->text);
		if (!f->suppressed_by)
			return -ENOMEM;
		r->hits++;
		n++;
	}
	return n;
}

void suppress_print_summary(FILE *out, const struct finding_list *l)
{
	size_t total = 0;

	for (size_t i = 0; i < l->n; i++)
		total += l->items[i]->suppressed_by != NULL;
	if (!total)
		return;
	fprintf(out, "hbtrace: %zu finding%s suppressed:", total,
		total == 1 ? "" : "s");
	/* group by rule text, in order of first appearance */
	for (size_t i = 0, first = 1; i < l->n; i++) {
		const char *rule = l->items[i]->suppressed_by;
		size_t count = 0;
		bool seen = false;

		if (!rule)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = l->items[j]->suppressed_by &&
			       !strcmp(l->items[j]->suppressed_by, rule);
		if (seen)
			continue;
		for (size_t j = i; j < l->n; j++)
			count += l->items[j]->suppressed_by &&
				 !strcmp(l->items[j]->suppressed_by, rule);
		fprintf(out, "%s %zu by %s", first ? "" : ",", count, rule);
		first = 0;
	}
	putc('\n', out);
}
