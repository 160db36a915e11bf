/*
 * cmd_passwd.c - `regit passwd`: add, update or delete an entry of the
 * credentials file that `regit serve --auth FILE` reads (format in
 * server/auth.h).
 *
 * The password comes from stdin (never from argv, where `ps` would show
 * it): when stdin is a terminal it is asked for twice without echo,
 * otherwise the first line is read. The file is rewritten atomically (temp
 * file in the same directory, fsync, rename, fsync of the directory) with
 * mode 0600, under an flock on the directory so concurrent invocations do
 * not lose each other's updates. Other lines, comments included, are kept
 * as they were. The result is parsed with the server's own parser before
 * it replaces the old file, so `regit passwd` never writes a file the
 * server would refuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "server/auth.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

enum { PASSWD_OPT_PASSWORD_STDIN = 1, PASSWD_OPT_DELETE };

static const regit_opt_spec passwd_specs[] = {
	{ REGIT_OPT_FLAG, PASSWD_OPT_PASSWORD_STDIN, "password-stdin", 0, NULL,
	  "read the password from stdin even on a terminal" },
	{ REGIT_OPT_FLAG, PASSWD_OPT_DELETE, "delete", 0, NULL, "remove USER instead" },
	REGIT_OPT_SPEC_END
};
static const regit_opt_spec *const passwd_frags[] = { passwd_specs, NULL };

const regit_opt_cmd regit_cmd_passwd_opts = {
	"passwd", "add or update a user in a `serve --auth` credentials file",
	"[--password-stdin] FILE USER ROLE\n--delete FILE USER",
	"Add or update USER with ROLE (read, write or admin) in the credentials\n"
	"file FILE used by `regit serve --auth FILE`. The password is read from\n"
	"stdin: asked twice without echo on a terminal, else the first line.\n"
	"The file is replaced atomically and kept at mode 0600.",
	passwd_frags, NULL,
	"0 the file was updated\n1 --delete: no such user\n"
	"2 bad usage, invalid user, role or password, or the file could not be\n"
	"  read or written\n3 out of memory\n"
};

/* Read one line of at most REGIT_AUTH_PASSWORD_MAX bytes from fd. */
static int passwd_read_line(int fd, char *out, size_t *len)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			regit_error_set(REGIT_ERROR_OS, "reading the password: %s", strerror(errno));
			return REGIT_EIO;
		}
		if (r == 0 || c == '\n')
			break;
		if (n == REGIT_AUTH_PASSWORD_MAX) {
			regit_error_set(REGIT_ERROR_CLI, "password longer than %d bytes"
				" (crypt(3) takes no longer one); choose a shorter one",
				REGIT_AUTH_PASSWORD_MAX);
			return REGIT_ELIMIT;
		}
		out[n++] = c;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	*len = n;
	return 0;
}

static int passwd_prompt(const char *prompt, char *out, size_t *len)
{
	struct termios old, quiet;
	int error, restore = 0;

	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	error = passwd_read_line(STDIN_FILENO, out, len);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return error;
}

static int passwd_get_password(int force_stdin, char *out, size_t *len)
{
	char again[REGIT_AUTH_PASSWORD_MAX + 1];
	size_t alen = 0;
	int error;

	if (force_stdin || !isatty(STDIN_FILENO)) {
		error = passwd_read_line(STDIN_FILENO, out, len);
		goto check;
	}
	error = passwd_prompt("Password: ", out, len);
	if (error < 0)
		goto check;
	error = passwd_prompt("Retype password: ", again, &alen);
	if (error == 0 && (alen != *len || memcmp(again, out, alen) != 0)) {
		regit_error_set(REGIT_ERROR_CLI, "passwords do not match");
		error = REGIT_EINVALID;
	}
	explicit_bzero(again, sizeof(again));

check:
	if (error == 0 && (*len == 0 || memchr(out, '\0', *len))) {
		regit_error_set(REGIT_ERROR_CLI, "empty password (or one containing NUL)");
		error = REGIT_EINVALID;
	}
	return error;
}

/* Length of the user field of a credentials line; lines without one
 * (comments, blanks) return 0. */
static size_t passwd_line_user(const char *line, size_t len)
{
	const char *colon;

	if (len == 0 || line[0] == '#')
		return 0;
	colon = memchr(line, ':', len);
	return colon ? (size_t)(colon - line) : 0;
}

/*
 * Build the new file text: every line of old as it was, except USER's,
 * which is replaced by newline (or dropped when newline is NULL).
 * *found tells whether USER had a line.
 */
static int passwd_rewrite(regit_buf *out, const char *old, size_t oldlen,
	const char *user, const char *newline, int *found)
{
	size_t pos = 0, ulen = strlen(user);
	int error = 0;

	*found = 0;
	while (pos < oldlen) {
		const char *line = old + pos;
		const char *nl = memchr(line, '\n', oldlen - pos);
		size_t llen = nl ? (size_t)(nl - line) : oldlen - pos;
		size_t lu = passwd_line_user(line, llen);

		pos += llen + (nl ? 1 : 0);
		if (lu == ulen && memcmp(line, user, ulen) == 0) {
			if (!*found && newline)
				error = regit_buf_printf(out, "%s\n", newline);
			*found = 1;
		} else {
			error = regit_buf_put(out, line, llen);
			if (error == 0)
				error = regit_buf_putc(out, '\n');
		}
		if (error < 0)
			return error;
	}
	if (!*found && newline)
		error = regit_buf_printf(out, "%s\n", newline);
	return error;
}

static int passwd_write_atomic(const char *path, const char *dir, const regit_buf *text)
{
	regit_buf tmp = REGIT_BUF_INIT;
	size_t off = 0;
	int fd = -1, dfd = -1, error = 0;

	error = regit_buf_printf(&tmp, "%s.tmp.XXXXXX", path);
	if (error < 0)
		goto done;
	fd = mkstemp(tmp.ptr);
	if (fd < 0) {
		regit_error_set(REGIT_ERROR_OS, "%s: %s", tmp.ptr, strerror(errno));
		error = REGIT_EIO;
		goto done;
	}
	if (fchmod(fd, 0600) != 0)
		goto io_error;
	while (off < text->size) {
		ssize_t w = write(fd, text->ptr + off, text->size - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto io_error;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto io_error;
	if (close(fd) != 0) {
		fd = -1;
		goto io_error;
	}
	fd = -1;
	if (rename(tmp.ptr, path) != 0)
		goto io_error;
	/* The rename is durable only once the directory is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || fsync(dfd) != 0)
		goto io_error;
	goto done;

io_error:
	regit_error_set(REGIT_ERROR_OS, "writing %s: %s", path, strerror(errno));
	error = REGIT_EIO;
	if (tmp.ptr)
		unlink(tmp.ptr);
done:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	regit_buf_dispose(&tmp);
	return error;
}

int regit_cmd_passwd(int argc, char **argv)
{
	regit_opt_parser p;
	regit_opt o;
	const char *args[3] = { NULL, NULL, NULL };
	char password[REGIT_AUTH_PASSWORD_MAX + 1];
	char hash[REGIT_AUTH_HASH_MAX];
	regit_buf old, text = REGIT_BUF_INIT, line = REGIT_BUF_INIT;
	regit_auth *check = NULL;
	regit_role role = REGIT_ROLE_NONE;
	char *dircopy = NULL;
	const char *dir;
	size_t nargs = 0, plen = 0;
	int i, force_stdin = 0, del = 0, found = 0, dfd = -1, error = 0;
	int rc = REGIT_EXIT_USAGE;

	regit_buf_init(&old, REGIT_AUTH_FILE_MAX);
	password[0] = '\0';
	if (regit_opt_help_requested(&regit_cmd_passwd_opts, argc, argv))
		return REGIT_EXIT_OK;
	regit_opt_parser_init(&p, &regit_cmd_passwd_opts, argc, argv);
	for (;;) {
		i = regit_opt_next(&o, &p);
		if (i < 0)
			return REGIT_EXIT_USAGE;
		if (i == 0)
			break;
		if (o.spec && o.spec->id == PASSWD_OPT_PASSWORD_STDIN)
			force_stdin = 1;
		else if (o.spec && o.spec->id == PASSWD_OPT_DELETE)
			del = 1;
		else if (nargs < 3)
			args[nargs++] = o.value;
		else
			nargs = 4;
	}
	if (nargs != (del ? 2u : 3u))
		return regit_opt_usage_error(&regit_cmd_passwd_opts, "%s",
			del ? "--delete takes FILE USER" : "give FILE USER ROLE");
	if (!regit_auth_valid_user(args[1], strlen(args[1]))) {
		fprintf(stderr, "regit passwd: invalid user name '%s' (1-%d of A-Z a-z 0-9 . _ @ + -)\n",
			args[1], REGIT_AUTH_USER_MAX);
		return REGIT_EXIT_USAGE;
	}
	if (!del && regit_role_parse(args[2], strlen(args[2]), &role) < 0) {
		fprintf(stderr, "regit passwd: role must be read, write or admin\n");
		return REGIT_EXIT_USAGE;
	}

	/* Serialise concurrent updates of files in this directory. */
	dircopy = regit_strdup(args[0]);
	if (!dircopy) {
		error = REGIT_ENOMEM;
		goto done;
	}
	dir = dirname(dircopy);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || flock(dfd, LOCK_EX) != 0) {
		regit_error_set(REGIT_ERROR_OS, "%s: %s", dir, strerror(errno));
		error = REGIT_EIO;
		goto done;
	}

	if (access(args[0], F_OK) == 0) {
		error = regit_buf_read_file(&old, args[0]);
		if (error < 0)
			goto done;
		/* Refuse to build on a file the server would not load. */
		error = regit_auth_parse(&check, regit_buf_cstr(&old), old.size);
		if (error < 0)
			goto done;
		regit_auth_free(check);
		check = NULL;
	} else if (errno != ENOENT) {
		regit_error_set(REGIT_ERROR_OS, "%s: %s", args[0], strerror(errno));
		error = REGIT_EIO;
		goto done;
	}

	if (!del) {
		error = passwd_get_password(force_stdin, password, &plen);
		if (error < 0)
			goto done;
		error = regit_auth_hash_password(hash, password, plen);
		if (error < 0)
			goto done;
		error = regit_buf_printf(&line, "%s:%s:%s", args[1], regit_role_name(role), hash);
		if (error < 0)
			goto done;
	}
	error = passwd_rewrite(&text, regit_buf_cstr(&old), old.size, args[1],
		del ? NULL : regit_buf_cstr(&line), &found);
	if (error < 0)
		goto done;
	if (del && !found) {
		regit_error_set(REGIT_ERROR_CLI, "no user '%s' in %s", args[1], args[0]);
		error = REGIT_ENOTFOUND;
		goto done;
	}
	error = regit_auth_parse(&check, regit_buf_cstr(&text), text.size);
	if (error < 0)
		goto done;
	error = passwd_write_atomic(args[0], dir, &text);
	if (error < 0)
		goto done;
	fprintf(stderr, "regit passwd: %s user %s%s%s in %s\n",
		del ? "deleted" : found ? "updated" : "added", args[1],
		del ? "" : " as ", del ? "" : regit_role_name(role), args[0]);
	rc = REGIT_EXIT_OK;

done:
	if (error < 0) {
		fprintf(stderr, "regit passwd: %s\n", regit_error_message());
		rc = error == REGIT_ENOMEM ? REGIT_EXIT_INTERNAL :
		     error == REGIT_ENOTFOUND ? REGIT_EXIT_FAIL : REGIT_EXIT_USAGE;
	}
	explicit_bzero(password, sizeof(password));
	regit_auth_free(check);
	if (dfd >= 0)
		close(dfd);    /* releases the lock */
	regit_free(dircopy);
	regit_buf_dispose(&old);
	regit_buf_dispose(&text);
	regit_buf_dispose(&line);
	return rc;
}
