/*
 * cmd_verify.c - `regit verify [--from REV] [--to REV] [STORE]`: check a
 * store's history against the invariants a registry applies to every head
 * it takes in (registry/README.md, "The ledger"): each commit on the
 * first-parent chain from REV (trusted; default: the empty store) to the
 * branch head is checked against the last one that passed, as a running
 * registry would have checked it. Findings go to stdout like `regit check`'s
 * (text or json); exit 0 nothing refused, 1 a commit was refused, 2 usage
 * or I/O, 3 out of memory.
 *
 * `--pre-receive OLD NEW` is the mode the store's pre-receive hook (which
 * `regit serve` installs) uses for a push to the registry's branch: NEW
 * alone is checked against what the registry served (refs/regit/served,
 * else OLD), exactly as the server's reload will, with the pushed objects
 * read from git's quarantine directory; findings go to stderr, which git
 * shows the pusher.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "registry/registry.h"
#include "util/buf.h"
#include "util/error.h"

/* Findings kept for the json output; more are counted, not listed. */
#define VERIFY_MAX_LISTED 10000

typedef struct verify_state {
	const char *store;
	int json;
	int hook;
	regit_buf out;               /* json findings */
	size_t listed;
	int error;
} verify_state;

enum {
	VERIFY_OPT_FROM = 1,
	VERIFY_OPT_TO,
	VERIFY_OPT_FORMAT,
	VERIFY_OPT_COMPAT,
	VERIFY_OPT_RULES,
	VERIFY_OPT_PRE_RECEIVE
};

static const regit_opt_spec verify_specs[] = {
	{ REGIT_OPT_VALUE, VERIFY_OPT_FROM, "from", 0, "REV",
	  "the state trusted as served (default: the empty store,\n"
	  "i.e. the whole history)" },
	{ REGIT_OPT_VALUE, VERIFY_OPT_TO, "to", 0, "REV",
	  "the last commit to check (default: the branch head)" },
	{ REGIT_OPT_VALUE, VERIFY_OPT_FORMAT, "format", 0, "text|json",
	  "text (default) or json" },
	{ REGIT_OPT_VALUE, VERIFY_OPT_COMPAT, "compat", 0, "LEVEL",
	  "the server's default level (default FULL_TRANSITIVE)" },
	{ REGIT_OPT_VALUE, VERIFY_OPT_RULES, "rules", 0, "strict|avro",
	  "the server's default rules: strict (default) or avro" },
	{ REGIT_OPT_VALUE, VERIFY_OPT_PRE_RECEIVE, "pre-receive", 0, "OLD NEW",
	  "the store's pre-receive hook (installed by `regit serve`):\n"
	  "NEW alone is checked against what the registry served" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const verify_frags[] = { verify_specs, NULL };

const regit_opt_cmd regit_cmd_verify_opts = {
	"verify", "check a registry store's history: ids never reissued, versions never rewritten",
	"[--from REV] [--to REV] [--format text|json] [options] [STORE]\n"
	"--pre-receive OLD NEW [--compat LEVEL] [--rules strict|avro] [STORE]",
	"Check a registry store's history (default ./data/registry.git; a\n"
	"non-bare clone works too) against the invariants `regit serve` applies\n"
	"to every head it takes in: a new head descends from the served one; an\n"
	"id keeps its schema text and references forever and a hard-deleted id\n"
	"is never issued again; the next id never decreases; a version keeps its\n"
	"number, id and text and is removed only after a soft delete; the tree\n"
	"is valid and pushed versions pass the compatibility policy.\n"
	"\n"
	"Each commit on the first-parent chain from REV to the branch head is\n"
	"checked against the last commit that passed.",
	verify_frags,
	"With --pre-receive OLD NEW, findings go to stderr (git shows them to\n"
	"the pusher) and the pushed objects are read from git's quarantine.",
	"0 every commit passed\n"
	"1 a commit was refused\n"
	"2 bad usage or an unreadable store or revision\n"
	"3 out of memory\n"
};

static int verify_finding(const char *commit, const char *message, void *payload)
{
	verify_state *st = payload;
	int error = 0;

	if (st->hook) {
		fprintf(stderr, "regit: push refused%s%.12s: %s\n", commit[0] ? " at " : "",
			commit, message);
		return 0;
	}
	if (!st->json) {
		printf("%s@%.12s: error: %s\n", st->store, commit[0] ? commit : "(deleted)", message);
		return 0;
	}
	if (st->listed >= VERIFY_MAX_LISTED)
		return 0;
	error = regit_buf_printf(&st->out, "%s\n  {\"commit\": \"%s\", \"message\": ",
		st->listed ? "," : "", commit);
	if (error == 0)
		error = regit_buf_put_json_string(&st->out, message, strlen(message));
	if (error == 0)
		error = regit_buf_putc(&st->out, '}');
	if (error < 0)
		st->error = error;
	st->listed++;
	return 0;
}

/* A non-bare clone's git directory, else path itself. */
static const char *verify_gitdir(regit_buf *buf, const char *path)
{
	struct stat st;

	if (regit_buf_printf(buf, "%s/.git", path) == 0 && stat(buf->ptr, &st) == 0 &&
			S_ISDIR(st.st_mode))
		return buf->ptr;
	return path;
}

int regit_cmd_verify(int argc, char **argv)
{
	regit_registry_options ropts = REGIT_REGISTRY_OPTIONS_INIT;
	regit_verify_options vo;
	regit_buf gitdir = REGIT_BUF_INIT, head = REGIT_BUF_INIT;
	verify_state st;
	regit_opt_parser p;
	regit_opt o;
	const char *store = NULL, *format = "text";
	size_t checked = 0, nfindings = 0;
	struct stat sb;
	int rc, error, ret = REGIT_EXIT_USAGE;

	memset(&vo, 0, sizeof(vo));
	memset(&st, 0, sizeof(st));
	regit_buf_init(&st.out, 64u << 20);
	if (regit_opt_help_requested(&regit_cmd_verify_opts, argc, argv))
		return REGIT_EXIT_OK;
	regit_opt_parser_init(&p, &regit_cmd_verify_opts, argc, argv);
	while ((rc = regit_opt_next(&o, &p)) > 0) {
		if (!o.spec) {
			if (store) {
				regit_opt_usage_error(&regit_cmd_verify_opts, "one store at a time");
				goto done;
			}
			store = o.value;
			continue;
		}
		switch (o.spec->id) {
		case VERIFY_OPT_FROM:
			vo.from = o.value;
			break;
		case VERIFY_OPT_TO:
			vo.to = o.value;
			break;
		case VERIFY_OPT_FORMAT:
			format = o.value;
			break;
		case VERIFY_OPT_COMPAT:
			if (regit_compat_level_parse(o.value, &ropts.default_level) < 0) {
				regit_opt_usage_error(&regit_cmd_verify_opts,
					"unknown compatibility level '%s'", o.value);
				goto done;
			}
			break;
		case VERIFY_OPT_RULES:
			if (strcasecmp(o.value, "strict") == 0) {
				ropts.default_strict = 1;
			} else if (strcasecmp(o.value, "avro") == 0) {
				ropts.default_strict = 0;
			} else {
				regit_opt_usage_error(&regit_cmd_verify_opts,
					"--rules is strict or avro, not '%s'", o.value);
				goto done;
			}
			break;
		case VERIFY_OPT_PRE_RECEIVE:
			/* OLD is the option's value, NEW the next argument */
			if (p.idx >= p.argc) {
				regit_opt_usage_error(&regit_cmd_verify_opts,
					"--pre-receive needs OLD and NEW");
				goto done;
			}
			st.hook = 1;
			vo.from = o.value;
			vo.to = p.argv[p.idx++];
			break;
		}
	}
	if (rc < 0)
		goto done;
	if (strcmp(format, "json") == 0) {
		st.json = 1;
	} else if (strcmp(format, "text") != 0) {
		regit_opt_usage_error(&regit_cmd_verify_opts, "--format is text or json, not '%s'",
			format);
		goto done;
	}
	st.store = store ? store : ropts.store_path;
	ropts.store_path = verify_gitdir(&gitdir, st.store);
	/* Never create a store here (opening a missing one would). */
	if (regit_buf_printf(&head, "%s/HEAD", ropts.store_path) < 0 ||
			stat(head.ptr, &sb) != 0) {
		fprintf(stderr, "regit verify: %s is not a git repository\n", st.store);
		goto done;
	}
	if (st.hook) {
		vo.from_served = 1;
		vo.tip_only = 1;
		vo.objects_dir = getenv("GIT_QUARANTINE_PATH");
		if (vo.objects_dir && !*vo.objects_dir)
			vo.objects_dir = NULL;
	}
	vo.finding = verify_finding;
	vo.payload = &st;
	error = regit_registry_verify(&ropts, &vo, &checked, &nfindings);
	if (error == REGIT_ENOMEM || st.error == REGIT_ENOMEM) {
		fprintf(stderr, "regit verify: out of memory\n");
		ret = REGIT_EXIT_INTERNAL;
		goto done;
	}
	if (error < 0) {
		fprintf(stderr, "regit verify: %s: %s\n", st.store,
			regit_error_message());
		goto done;
	}
	ret = nfindings ? REGIT_EXIT_FAIL : REGIT_EXIT_OK;
	if (st.hook) {
		if (nfindings)
			fprintf(stderr, "regit: the registry would refuse this state and keep serving "
				"the previous one; push a fixed commit instead (`regit verify` lists the "
				"rules)\n");
		goto done;
	}
	if (st.json) {
		printf("{\"ok\": %s, \"checked\": %zu, \"refused\": %zu, \"findings\": [%s%s]}\n",
			nfindings ? "false" : "true", checked, nfindings,
			st.out.ptr ? st.out.ptr : "", st.listed ? "\n" : "");
	} else {
		fprintf(stderr, "regit verify: %zu commit%s checked, %zu refused\n", checked,
			checked == 1 ? "" : "s", nfindings);
	}
done:
	fflush(stdout);
	regit_buf_dispose(&st.out);
	regit_buf_dispose(&gitdir);
	regit_buf_dispose(&head);
	return ret;
}
