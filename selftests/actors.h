/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Actor steps shared by the contract and stress tests: each does one thing
 * to the range and records it in the ledger.
 */
#ifndef UFFDC_ACTORS_H
#define UFFDC_ACTORS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "shmem_backing.h"

/*
 * Touch every page of [addr, addr + n pages) through the mapping
 * (EV_TOUCH): a load that decodes what it saw, or a store of pattern gen.
 * Either must fault where there is a hole in a registered range.
 */
void touch_range(struct ledger *l, char *addr, uint32_t first_page, uint32_t n,
		 uint16_t map, uint16_t actor, enum touch_how how, int32_t gen);

/* Store pattern gen into the page at addr through a mapping (EV_FILL). */
void store_page(struct ledger *l, char *addr, uint32_t page, int32_t gen,
		uint16_t actor);

/* MADV_COLLAPSE of one huge range at addr (EV_COLLAPSE).  Returns errno. */
int collapse_range(struct ledger *l, char *addr, size_t len, uint32_t first_page,
		   enum collapse_agent agent, uint16_t actor);

/* Punch [first, first + n) out of the file (EV_REMOVE).  Returns -errno. */
int punch_range(struct ledger *l, struct backing *b, uint32_t first, uint32_t n,
		uint16_t actor);

/* pread every page of [first, first + n) of a file backing (EV_READ). */
void read_range(struct ledger *l, struct backing *b, uint32_t first, uint32_t n,
		uint16_t actor);

#endif
