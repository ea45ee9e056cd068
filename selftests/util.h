/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict number parsing for options, the environment and sequence files.
 *
 * One parser for every program, so that every number is read the same
 * way: the whole string, nothing before it or after it, no sign, no "nan"
 * or "inf", and a range the caller states.  The functions return 0, or
 * -EINVAL when the string is not a number of the kind asked, or -ERANGE
 * when it is one outside [min, max]; *out is written only on success.
 * They print nothing and never exit: the caller says what was wrong.
 */
#ifndef UFFDC_UTIL_H
#define UFFDC_UTIL_H

#include <stdint.h>

/* Decimal digits, or "0x" and hex digits. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Decimal notation only ([-]digits[.digits][e[+-]digits]), finite. */
int parse_double(const char *s, double min, double max, double *out);

/* A seed: any 64-bit value, decimal or 0x hex (as the programs print it). */
int parse_seed(const char *s, uint64_t *out);

#endif
