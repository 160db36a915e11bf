/*
 * serve_hook.c - writes the store's pre-receive hook (see serve_hook.h).
 *
 * The hook is a small sh script: for the registry's branch it runs
 * `regit verify --pre-receive OLD NEW .` (git runs hooks in the git
 * directory, with the pushed objects in a quarantine directory that
 * verify reads through $GIT_QUARANTINE_PATH); pushes under refs/regit/ (the
 * registry's own record), are refused; other refs pass. When the binary is
 * gone (moved, and no server started since) the hook lets the push through
 * with a warning: the running server still checks it on reload, and a hook
 * that refuses everything would lock the owners out of their own store.
 * The file is replaced atomically (mkstemp + rename), never followed
 * through a symlink.
 */
#include "cli/serve_hook.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"

#define HOOK_MARKER "regit-pre-receive-hook"
/* The hook text and any file we compare it with. */
#define HOOK_MAX (64u << 10)

/* Append s single-quoted for sh. */
static int hook_quote(regit_buf *b, const char *s)
{
	int error = regit_buf_putc(b, '\'');

	for (; *s && error == 0; s++)
		error = *s == '\'' ? regit_buf_puts(b, "'\\''") : regit_buf_putc(b, *s);
	if (error == 0)
		error = regit_buf_putc(b, '\'');
	return error;
}

static int hook_text(regit_buf *b, const char *exe, regit_compat_level level, int strict)
{
	int error = regit_buf_puts(b,
		"#!/bin/sh\n"
		"# " HOOK_MARKER ": written by `regit serve` at each start (edits are lost;\n"
		"# delete this line to keep a hook of your own, which regit then leaves alone).\n"
		"# Refuses a push to the registry's branch that the registry would refuse:\n"
		"# see `regit verify --help`.\n"
		"REGIT=");
	if (error == 0)
		error = hook_quote(b, exe);
	if (error == 0)
		error = regit_buf_printf(b, "\n"
		"branch=$(git symbolic-ref -q HEAD) || branch=refs/heads/main\n"
		"status=0\n"
		"while read -r old new ref; do\n"
		"\tcase \"$ref\" in\n"
		"\trefs/regit/*)\n"
		"\t\techo \"regit: $ref is the registry's record of what it served; it is not pushed to\" >&2\n"
		"\t\tstatus=1 ;;\n"
		"\t\"$branch\")\n"
		"\t\tif [ -x \"$REGIT\" ]; then\n"
		"\t\t\t\"$REGIT\" verify --compat %s --rules %s --pre-receive \"$old\" \"$new\" . || status=1\n"
		"\t\telse\n"
		"\t\t\techo \"regit: $REGIT is gone; this push is not checked here (the running registry still checks it)\" >&2\n"
		"\t\tfi ;;\n"
		"\tesac\n"
		"done\n"
		"exit $status\n", regit_compat_level_name(level), strict ? "strict" : "avro");
	return error;
}

int regit_serve_hook_install(const char *store, regit_compat_level level, int strict)
{
	regit_buf text = REGIT_BUF_INIT, path = REGIT_BUF_INIT, tmp = REGIT_BUF_INIT;
	regit_buf old = REGIT_BUF_INIT;
	char exe[4096];
	ssize_t n;
	struct stat st;
	int fd = -1, ret = -1;

	regit_buf_init(&text, HOOK_MAX);
	regit_buf_init(&old, HOOK_MAX);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || (size_t)n >= sizeof(exe) - 1) {
		regit_log(REGIT_LOG_WARN, "regit serve: pre-receive hook not installed: cannot find this "
			"binary's path\n");
		goto done;
	}
	exe[n] = '\0';
	if (hook_text(&text, exe, level, strict) < 0 ||
			regit_buf_printf(&path, "%s/hooks", store) < 0)
		goto oom;
	if (mkdir(path.ptr, 0755) < 0 && errno != EEXIST) {
		regit_log(REGIT_LOG_WARN, "regit serve: pre-receive hook not installed: %s: %s\n", path.ptr,
			strerror(errno));
		goto done;
	}
	if (regit_buf_puts(&path, "/pre-receive") < 0 ||
			regit_buf_printf(&tmp, "%s.regit-XXXXXX", path.ptr) < 0)
		goto oom;
	if (lstat(path.ptr, &st) == 0) {
		if (S_ISREG(st.st_mode) && regit_buf_read_file(&old, path.ptr) == 0 &&
				old.size == text.size && memcmp(old.ptr, text.ptr, text.size) == 0) {
			ret = 0;
			goto done;
		}
		if (!S_ISREG(st.st_mode) || !old.ptr || !strstr(old.ptr, HOOK_MARKER)) {
			regit_log(REGIT_LOG_WARN, "regit serve: %s is not regit's; left alone, so pushes are "
				"checked only when the registry reloads them\n", path.ptr);
			ret = 1;
			goto done;
		}
	}
	fd = mkstemp(tmp.ptr);
	if (fd < 0) {
		regit_log(REGIT_LOG_WARN, "regit serve: pre-receive hook not installed: %s: %s\n", tmp.ptr,
			strerror(errno));
		goto done;
	}
	if (write(fd, text.ptr, text.size) != (ssize_t)text.size || fchmod(fd, 0755) < 0 ||
			fsync(fd) < 0) {
		regit_log(REGIT_LOG_WARN, "regit serve: pre-receive hook not installed: %s: %s\n", tmp.ptr,
			strerror(errno));
		(void)close(fd);
		(void)unlink(tmp.ptr);
		goto done;
	}
	if (close(fd) < 0 || rename(tmp.ptr, path.ptr) < 0) {
		regit_log(REGIT_LOG_WARN, "regit serve: pre-receive hook not installed: %s: %s\n", path.ptr,
			strerror(errno));
		(void)unlink(tmp.ptr);
		goto done;
	}
	ret = 0;
	goto done;
oom:
	regit_log(REGIT_LOG_WARN, "regit serve: pre-receive hook not installed: out of memory\n");
done:
	regit_buf_dispose(&text);
	regit_buf_dispose(&old);
	regit_buf_dispose(&path);
	regit_buf_dispose(&tmp);
	return ret;
}
