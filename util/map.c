/*
 * map.c - see map.h.
 */
#include "util/map.h"

#include "util/alloc.h"
#include "util/error.h"

static int map_grow(regit_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64, i;
	regit_map_slot *slots = regit_calloc(ncap, sizeof(*slots));

	if (!slots)
		return REGIT_ENOMEM;
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->slots[i].val)
			continue;
		j = m->slots[i].hash & (ncap - 1);
		while (slots[j].val)
			j = (j + 1) & (ncap - 1);
		slots[j] = m->slots[i];
	}
	regit_free(m->slots);
	m->slots = slots;
	m->cap = ncap;
	return 0;
}

int regit_map_reserve(regit_map *m)
{
	if ((m->n + 1) * 2 > m->cap)
		return map_grow(m);
	return 0;
}

void regit_map_put(regit_map *m, uint64_t hash, void *val)
{
	size_t j = hash & (m->cap - 1);

	while (m->slots[j].val)
		j = (j + 1) & (m->cap - 1);
	m->slots[j].hash = hash;
	m->slots[j].val = val;
	m->n++;
}

void *regit_map_get(const regit_map *m, uint64_t hash, regit_map_eq eq, const void *key)
{
	size_t j;

	if (!m->cap)
		return NULL;
	j = hash & (m->cap - 1);
	while (m->slots[j].val) {
		if (m->slots[j].hash == hash && eq(m->slots[j].val, key))
			return m->slots[j].val;
		j = (j + 1) & (m->cap - 1);
	}
	return NULL;
}

/* Backward-shift deletion: no tombstones, probes stay short. */
void regit_map_remove(regit_map *m, uint64_t hash, const void *val)
{
	size_t j, k;

	if (!m->cap)
		return;
	j = hash & (m->cap - 1);
	while (m->slots[j].val && m->slots[j].val != val)
		j = (j + 1) & (m->cap - 1);
	if (!m->slots[j].val)
		return;
	m->slots[j].val = NULL;
	m->n--;
	k = j;
	for (;;) {
		size_t home;

		k = (k + 1) & (m->cap - 1);
		if (!m->slots[k].val)
			break;
		home = m->slots[k].hash & (m->cap - 1);
		/* Move k back to j unless its home lies cyclically in (j, k]. */
		if ((j < k) ? (home <= j || home > k) : (home <= j && home > k)) {
			m->slots[j] = m->slots[k];
			m->slots[k].val = NULL;
			j = k;
		}
	}
}

void regit_map_dispose(regit_map *m)
{
	regit_free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
