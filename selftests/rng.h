/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one source of random choices: a printed seed replays a run.
 * xorshift64*: small, fast, and good enough to pick pages and delays.
 */
#ifndef UFFDC_RNG_H
#define UFFDC_RNG_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"		/* env_seed(): $UFFDC_SEED */

struct rng {
	uint64_t s;
};

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed ^ 0x9e3779b97f4a7c15ULL;
	if (!r->s)
		r->s = 1;
}

static inline uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n), n > 0. */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)((rng_next(r) >> 32) * n >> 32);
}

/*
 * The run's seed: $UFFDC_SEED when it is a seed, else the clock.  Callers
 * print it.  Programs refuse a bad $UFFDC_SEED up front (suite_claim(),
 * the fuzzer's options), before anything runs: here it cannot happen.
 */
static inline uint64_t rng_run_seed(void)
{
	struct timespec ts;
	uint64_t seed;

	if (!env_seed(&seed))
		return seed;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
}

#endif
