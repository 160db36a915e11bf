/*
 * api_ui.h - the web UI under `regit serve`: its files at /ui/ and the
 * reads it needs that the Confluent API lacks, at /regit/... (documented
 * in server/README.md, "The web UI and /regit/ endpoints").
 *
 * server/api.c calls regit_api__ui_handle() for every authenticated
 * request before its own routing; this file owns its routes (each with the
 * role it needs) so the two tables stay apart.
 */
#ifndef REGIT_API_UI_H
#define REGIT_API_UI_H

#include "registry/registry.h"
#include "server/auth.h"
#include "server/api.h"
#include "server/http.h"

/*
 * The route labels the UI's requests are counted under in /metrics: its
 * routes ("/ui/", "/regit/subjects/{s}/versions", ...) and "/regit/unknown"
 * for a path none serves; a fixed, small set, so the series stay bounded.
 */
#define REGIT_API_UI_NROUTES 12

/** The i-th UI route label (static), NULL from REGIT_API_UI_NROUTES on. */
const char *regit_api__ui_route_name(size_t i);

/**
 * What the UI needs to know of the API answering it. Passed in rather than
 * called by name, so api_ui.c does not depend on api.c, which calls it.
 */
typedef struct regit_api_ui_env {
	regit_api *api;       /* borrowed; only handed back to the functions below */
	/* The route table's verdict on a request (api.c, regit_api_route_of). */
	unsigned (*route_of)(const char *method, const char *target);
	/* The credentials-file reload problem /health reports, copied into
	 * out; "" when none. Thread-safe. */
	void (*auth_problem)(regit_api *api, char *out, size_t size);
} regit_api_ui_env;

/**
 * Answer the request when it is the UI's: GET /ui, /ui/..., any /regit/...
 * path, and GET / from a browser (an Accept header naming text/html and
 * application/xhtml+xml), which is redirected to /ui/. API clients' GET /
 * (Java's default Accept names text/html too) is left to the API.
 *
 * @param env   the API answering (borrowed): its route table and /health's facts
 * @param user  the authenticated user, NULL without --auth (borrowed)
 * @param role  the user's role; ignored when auth is 0
 * @param auth  1 when the server checks credentials
 * @return 1 when answered (resp filled), 0 when the request is not the UI's;
 *         when answered, resp->route_id is the index of its metrics label
 *         (regit_api__ui_route_name), or -1 for GET / redirected to /ui/
 *         (counted under the API's own "/")
 */
int regit_api__ui_handle(const regit_api_ui_env *env, regit_registry *reg,
	const regit_http_request *req,
	regit_http_response *resp, const char *user, regit_role role, int auth);

#endif
