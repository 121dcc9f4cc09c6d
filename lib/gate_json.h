/* SPDX-License-Identifier: MIT */
/*
 * gate_json.h - the small JSON writing helpers shared by the SARIF renderer
 * and the chrome exporter.  Output only: hbtrace never parses JSON.
 */
#ifndef HBT_GATE_JSON_H
#define HBT_GATE_JSON_H

#include <stdio.h>

/*
 * Write 's' as a JSON string literal, quotes included; NULL writes null.
 * Control characters are escaped, bytes >= 0x80 are copied as they are
 * (the strings we hold are UTF-8 from DWARF, Python or the user).
 */
void gate_json_str(FILE *out, const char *s);

/* Same for the first 'len' bytes of 's' (no NUL needed). */
void gate_json_strn(FILE *out, const char *s, size_t len);

#endif /* HBT_GATE_JSON_H */
