// SPDX-License-Identifier: GPL-2.0
/*
 * Delta debugging over an operation sequence.  Any subsequence is a valid
 * sequence (inapplicable operations are no-ops), so the minimizer only
 * needs a predicate: "does this still fail the same way?".  The predicate
 * reruns the candidate in fresh processes; this file knows nothing of the
 * kernel.
 *
 * Passes: drop chunks of halving size (ddmin's complement step), then
 * single operations until nothing more can go, then simplify the survivors
 * (actor 0, synchronous), each kept only if the failure stays.
 */
#include <string.h>

#include "fz.h"

static bool try(const struct fz_op *cand, unsigned int n, fz_pred pred, void *ctx,
		unsigned int *runs)
{
	(*runs)++;
	return pred(cand, n, ctx);
}

/* Remove [from, from + len) from ops into out; returns the new length. */
static unsigned int without(const struct fz_op *ops, unsigned int n, unsigned int from,
			    unsigned int len, struct fz_op *out)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		if (i < from || i >= from + len)
			out[k++] = ops[i];
	return k;
}

unsigned int fz_minimize(struct fz_op *ops, unsigned int n, fz_pred pred,
			 void *ctx, unsigned int *runs)
{
	static struct fz_op cand[FZ_MAX_OPS];
	unsigned int chunk, from, k, i, dummy = 0;
	bool progress;

	if (!runs)
		runs = &dummy;
	for (chunk = n / 2; chunk >= 1; chunk /= 2) {
		do {
			progress = false;
			for (from = 0; from < n; from += chunk) {
				k = without(ops, n, from, chunk, cand);
				if (k && try(cand, k, pred, ctx, runs)) {
					memcpy(ops, cand, k * sizeof(*ops));
					n = k;
					progress = true;
					break;
				}
			}
		} while (progress && n > 1);
		if (chunk == 1)
			break;
	}
	/* Simplify what is left: the main thread, no asynchrony, no joins. */
	for (i = 0; i < n; i++) {
		struct fz_op keep = ops[i];

		if (!ops[i].async && ops[i].actor == 0)
			continue;
		memcpy(cand, ops, n * sizeof(*ops));
		cand[i].async = 0;
		if (cand[i].actor == 1)
			cand[i].actor = 0;
		if (try(cand, n, pred, ctx, runs))
			ops[i] = cand[i];
		else
			ops[i] = keep;
	}
	for (i = 0; i < n; i++) {
		if (ops[i].kind != OP_JOIN)
			continue;
		k = without(ops, n, i, 1, cand);
		if (k && try(cand, k, pred, ctx, runs)) {
			memcpy(ops, cand, k * sizeof(*ops));
			n = k;
			i--;
		}
	}
	return n;
}
