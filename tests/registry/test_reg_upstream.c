/*
 * test_reg_upstream.c - registry/reg_upstream.c's alignment of the store's
 * branch with a fetched upstream head, the cases a race makes rare:
 *
 * a background fetch that began on an empty upstream before this replica's
 * first push landed ends with "" while the branch already holds the pushed
 * head. That is stale (the branch moved since the fetch began), not "the
 * upstream branch is gone"; refusing it turned writes off (50001) until
 * the next fetch. Seen over ssh, whose fetch takes ~0.4 s
 * (tests/integration/replicas_ssh.sh, 2 of 8 runs); here it is made
 * deterministic by calling reg_upstream_align with the moves counter of a
 * fetch that began before the branch moved. No network: the upstream URL
 * is only parsed at open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "registry/registry_internal.h"
#include "store/store.h"
#include "tests/support/tmpdir.h"
#include "util/error.h"

typedef struct fixture {
	char *dir;
	char path[512];
	regit_store *store;
	reg_upstream *u;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	regit_registry_options o = REGIT_REGISTRY_OPTIONS_INIT;

	assert_non_null(f);
	f->dir = test_tmpdir_new("reg-upstream");
	assert_non_null(f->dir);
	snprintf(f->path, sizeof(f->path), "%s/local.git", f->dir);
	assert_int_equal(regit_store_open(&f->store, f->path, NULL), 0);
	o.store_path = f->path;
	o.upstream_url = "git://127.0.0.1:1/up.git";
	assert_int_equal(reg_upstream_open(&f->u, &o, f->path), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	reg_upstream_free(f->u);
	regit_store_free(f->store);
	test_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static int refused(reg_upstream *u)
{
	int r;

	pthread_mutex_lock(&u->lock);
	r = u->refused;
	pthread_mutex_unlock(&u->lock);
	return r;
}

/* The branch holds a served head; the fetch said "" (no branch upstream). */
static void served_head(fixture *f, char head[REGIT_STORE_OID_HEX])
{
	regit_store_change c = { "ids/1", "one", 3, 0 };

	assert_int_equal(regit_store_commit(head, f->store, "", &c, 1, "test", NULL), 0);
}

/* The fetch began before our push landed (moves went up since): stale. */
static void test_reg_upstream__empty_fetch_older_than_our_push_is_stale(void **state)
{
	fixture *f = *state;
	char head[REGIT_STORE_OID_HEX], now[REGIT_STORE_OID_HEX];
	uint64_t at_fetch = reg_upstream_moves(f->u);

	served_head(f, head);
	/* Our first push landed while the fetch was on the wire. */
	pthread_mutex_lock(&f->u->lock);
	f->u->moves++;
	pthread_mutex_unlock(&f->u->lock);
	assert_int_equal(reg_upstream_align(f->u, f->u->up, f->store, "", head, at_fetch), 0);
	assert_int_equal(refused(f->u), 0);
	assert_int_equal(regit_store_head(f->store, now), 0);
	assert_string_equal(now, head);
}

/* Nothing moved since the fetch began: the branch really is gone
 * upstream, and what was served is not followed there (refused). */
static void test_reg_upstream__empty_fetch_after_our_push_is_refused(void **state)
{
	fixture *f = *state;
	char head[REGIT_STORE_OID_HEX], now[REGIT_STORE_OID_HEX];

	served_head(f, head);
	assert_true(reg_upstream_align(f->u, f->u->up, f->store, "", head,
		reg_upstream_moves(f->u)) < 0);
	assert_int_equal(refused(f->u), 1);
	assert_non_null(strstr(regit_error_message(), "gone"));
	assert_int_equal(regit_store_head(f->store, now), 0);
	assert_string_equal(now, head);
}

/* A replica that served nothing follows an empty upstream. */
static void test_reg_upstream__empty_fetch_on_empty_replica(void **state)
{
	fixture *f = *state;

	assert_int_equal(reg_upstream_align(f->u, f->u->up, f->store, "", "",
		reg_upstream_moves(f->u)), 0);
	assert_int_equal(refused(f->u), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(test_reg_upstream__##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(empty_fetch_older_than_our_push_is_stale),
		T(empty_fetch_after_our_push_is_refused),
		T(empty_fetch_on_empty_replica),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
