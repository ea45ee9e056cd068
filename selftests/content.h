/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page content patterns.  Every byte of a page we write names the page and
 * a generation, so a read tells apart "our last write", "an older write",
 * "zeros" and "somebody else's bytes" (a misplaced or torn page).
 */
#ifndef UFFDC_CONTENT_H
#define UFFDC_CONTENT_H

#include <stddef.h>
#include <stdint.h>

/* Generations are positive; 0 stands for zeros (CONTENT_ZERO). */
#define GEN_MAX 0x7fffffff

void content_fill(void *page, size_t page_size, uint32_t pgoff, int32_t gen);

/*
 * Decode a page: the generation it holds, CONTENT_ZERO, or CONTENT_CORRUPT
 * when it is neither zeros nor a whole pattern of pgoff.
 */
int32_t content_decode(const void *page, size_t page_size, uint32_t pgoff);

#endif
