/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page content patterns, and the codes for what a read saw.  Every byte of
 * a page we write names the page and a generation, so a read tells apart
 * "our last write", "an older write", "zeros" and "somebody else's bytes"
 * (a misplaced or torn page).  A leaf: the ledger's EV_TOUCH and EV_READ
 * values and the fuzzer's observations are these codes.
 */
#ifndef UFFDC_CONTENT_H
#define UFFDC_CONTENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Content seen by a touch or read.  Non-negative values are the generation
 * decoded from a page pattern; generation 0 is reserved for "all zero".
 */
#define CONTENT_ZERO	0
#define CONTENT_CORRUPT	(-1)	/* not a pattern of this page */
#define CONTENT_NONE	(-2)	/* nothing read (the access failed) */

/* Generations are positive; 0 stands for zeros (CONTENT_ZERO). */
#define GEN_MAX 0x7fffffff

void content_fill(void *page, size_t page_size, uint32_t pgoff, int32_t gen);

/*
 * Decode a page: the generation it holds, CONTENT_ZERO, or CONTENT_CORRUPT
 * when it is neither zeros nor a whole pattern of pgoff.
 */
int32_t content_decode(const void *page, size_t page_size, uint32_t pgoff);

#endif
