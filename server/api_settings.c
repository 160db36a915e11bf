/*
 * api_settings.c - the API's settings handlers: compatibility configuration
 * (/config, /config/{s}), modes (/mode, /mode/{s}) and contexts
 * (/contexts; regit serves the default context only). Writes need `admin`
 * (api.c's table).
 */
#include <string.h>

#include "server/api_internal.h"

static void out_config(api_ctx *c, const regit_config *cfg, const char *level_key)
{
	int first = 1;

	out_puts(c, "{");
	if (cfg->has_level) {
		out_printf(c, "\"%s\":\"%s\"", level_key, regit_compat_level_name(cfg->level));
		first = 0;
	}
	if (cfg->has_normalize) {
		out_printf(c, "%s\"normalize\":%s", first ? "" : ",",
			cfg->normalize ? "true" : "false");
		first = 0;
	}
	if (cfg->has_strict) {
		out_printf(c, "%s\"" REGIT_API_RULES_KEY "\":\"%s\"", first ? "" : ",",
			cfg->strict ? "strict" : "avro");
		first = 0;
	}
	if (cfg->has_lint)
		out_printf(c, "%s\"" REGIT_API_LINT_KEY "\":\"%s\"", first ? "" : ",",
			regit_lint_policy_name(cfg->lint));
	out_puts(c, "}");
}


/*
 * GET /config[/{s}]?defaultToGlobal= -> {"compatibilityLevel": L, ...}
 * PUT /config[/{s}] body {"compatibility": L, "normalize"?, "regit.rules"?,
 *   "regit.lint"?} -> echo
 * DELETE /config[/{s}] -> the removed config in GET's shape (ent/Config),
 *   {"compatibilityLevel": L, ...}
 */
void h_config(api_ctx *c)
{
	const char *subject = c->nparams > 0 ? c->params[0] : NULL;
	regit_config cfg, out;
	int rc;

	api_err_init();
	memset(&out, 0, sizeof(out));
	if (c->method == M_GET) {
		rc = regit_registry_get_config(c->api->reg, subject,
			api_qbool(c, "defaultToGlobal"), &out);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_config(c, &out, "compatibilityLevel");
	} else if (c->method == M_PUT) {
		if (regit_api_decode_config_body(&cfg, c->req->body, c->req->body_len) < 0) {
			api_reg_error(c, REGIT_EINVALID);
			return;
		}
		rc = regit_registry_set_config(c->api->reg, subject, &cfg, c->user, &out);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_config(c, &cfg, "compatibility");
	} else {
		rc = regit_registry_delete_config(c->api->reg, subject, c->user, &out);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_config(c, &out, "compatibilityLevel");
	}
}

/*
 * GET /mode[/{s}]?defaultToGlobal= -> {"mode": M}
 * PUT /mode[/{s}]?force= body {"mode": M} -> echo
 * DELETE /mode[/{s}] -> {"mode": old}
 */
void h_mode(api_ctx *c)
{
	const char *subject = c->nparams > 0 ? c->params[0] : NULL;
	regit_mode mode = REGIT_MODE_READWRITE;
	char sent[64];
	int rc;

	api_err_init();
	if (c->method == M_GET) {
		rc = regit_registry_get_mode(c->api->reg, subject,
			api_qbool(c, "defaultToGlobal"), &mode);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_printf(c, "{\"mode\":\"%s\"}", regit_mode_name(mode));
	} else if (c->method == M_PUT) {
		if (regit_api_decode_mode_body(sent, sizeof(sent), c->req->body,
		    c->req->body_len) < 0) {
			api_reg_error(c, REGIT_EINVALID);
			return;
		}
		if (regit_mode_parse(sent, &mode) < 0 ||
		    (subject && mode == REGIT_MODE_FORWARD)) {
			api_error(c, 422, REGIT_SR_INVALID_MODE, "Invalid mode. Valid values "
				"are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT%s",
				subject ? "" : " and FORWARD");
			return;
		}
		rc = regit_registry_set_mode(c->api->reg, subject, mode,
			api_qbool(c, "force"), c->user);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_puts(c, "{\"mode\":");
		out_cstr(c, sent);
		out_puts(c, "}");
	} else {
		rc = regit_registry_delete_mode(c->api->reg, subject, c->user, &mode);
		if (rc < 0) {
			api_reg_error(c, rc);
			return;
		}
		api_ok(c);
		out_printf(c, "{\"mode\":\"%s\"}", regit_mode_name(mode));
	}
}

/*
 * GET /contexts?contextPrefix=&offset=&limit= -> ["."] (the only context);
 * DELETE /contexts/{ctx} -> 204 (42211 for a non-empty ".").
 */
void h_contexts(api_ctx *c)
{
	const char *prefix = api_q(c, "contextPrefix");
	api_page pg;

	if (api_page_init(&pg, c, 0, 0) < 0)
		return;
	api_ok(c);
	out_puts(c, "[");
	if ((!prefix || strncmp(".", prefix, strlen(prefix)) == 0) && api_page_next(&pg) > 0)
		out_puts(c, "\".\"");
	out_puts(c, "]");
}

void h_context(api_ctx *c)
{
	regit_registry_stats st;

	if (strcmp(c->params[0], ".") == 0) {
		regit_registry_stats_get(c->api->reg, &st);
		if (st.versions > 0) {
			api_error(c, 422, 42211, "Context '.' is not empty");
			return;
		}
	}
	c->resp->status = 204;
	c->resp->content_type = NULL;
}
