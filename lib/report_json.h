/* SPDX-License-Identifier: MIT */
/*
 * report_json.h - the JSON renderer ("json" report_ops) and its string
 * escaper, usable by other JSON writers.
 */
#ifndef HBT_REPORT_JSON_H
#define HBT_REPORT_JSON_H

#include <stdio.h>

#include "findings.h"

extern const struct report_ops report_json_ops;
extern const struct report_ops report_text_ops;

/* Write 's' as a JSON string literal (null for NULL); UTF-8 passes
 * through, control characters are escaped. */
void json_put_string(FILE *out, const char *s);

#endif /* HBT_REPORT_JSON_H */
