/* SPDX-License-Identifier: MIT */
/*
 * race.h - the memory-access analysis: `data-race` and `lost-update` over
 * the MEM_* records of the TSan ABI runtime (see race.c for the model).
 */
#ifndef HBT_ANALYSIS_RACE_H
#define HBT_ANALYSIS_RACE_H

#include "analyze.h"

extern const struct analysis_ops analysis_race;

#endif /* HBT_ANALYSIS_RACE_H */
