// SPDX-License-Identifier: GPL-2.0
/* Page content patterns: fill and decode, see content.h. */
#include "content.h"

#define CONTENT_MAGIC 0x75666663ULL	/* "uffc" */

static uint64_t word(uint32_t pgoff, int32_t gen, uint64_t i)
{
	/* splitmix64 step: cheap, and no two (page, gen, i) look alike */
	uint64_t x = ((uint64_t)pgoff << 32 | (uint32_t)gen) ^ (i * 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void content_fill(void *page, size_t page_size, uint32_t pgoff, int32_t gen)
{
	uint64_t *w = page;
	size_t i, n = page_size / sizeof(*w);

	/* The header word is readable by eye in a hex dump. */
	w[0] = CONTENT_MAGIC << 32 | (uint32_t)gen;
	w[1] = pgoff;
	for (i = 2; i < n; i++)
		w[i] = word(pgoff, gen, i);
}

int32_t content_decode(const void *page, size_t page_size, uint32_t pgoff)
{
	const uint64_t *w = page;
	size_t i, n = page_size / sizeof(*w);
	int32_t gen;

	if (w[0] == 0) {
		for (i = 1; i < n; i++)
			if (w[i])
				return CONTENT_CORRUPT;
		return CONTENT_ZERO;
	}
	if (w[0] >> 32 != CONTENT_MAGIC || w[1] != pgoff)
		return CONTENT_CORRUPT;
	gen = (int32_t)(uint32_t)w[0];
	if (gen <= 0)
		return CONTENT_CORRUPT;
	for (i = 2; i < n; i++)
		if (w[i] != word(pgoff, gen, i))
			return CONTENT_CORRUPT;
	return gen;
}
