/* SPDX-License-Identifier: MIT */
/*
 * report_sarif.h - the SARIF 2.1.0 renderer ("sarif" report_ops).
 *
 * One run, one rule per finding kind (all eight, always, so rule indexes
 * are stable), one result per finding: physical location = first user
 * frame of the first step, the steps as codeFlows[0].threadFlows (one
 * threadFlow per thread, in step order), partialFingerprints with our
 * stable id ("hbtraceId/v1") so code scanning tracks a finding across
 * runs.  Suppressed findings are emitted too, with a SARIF "suppressions"
 * entry naming the rule, so a viewer shows them as suppressed.
 */
#ifndef HBT_REPORT_SARIF_H
#define HBT_REPORT_SARIF_H

#include "findings.h"

extern const struct report_ops report_sarif_ops;

/* The rule help text of a kind (one paragraph, plain text). */
const char *sarif_rule_help(enum finding_kind k);

#endif /* HBT_REPORT_SARIF_H */
