/*
 * test_serve_security.c - cli/serve_security: the bind policy (loopback
 * only without --auth), option parsing, credentials and TLS file checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/serve_security.h"
#include "tests/support/tmpdir.h"

static void test_serve_security__loopback(void **state)
{
	(void)state;
	assert_true(regit_serve_is_loopback("127.0.0.1:8081"));
	assert_true(regit_serve_is_loopback("127.1.2.3:0"));
	assert_true(regit_serve_is_loopback("[::1]:8081"));
	assert_true(regit_serve_is_loopback("localhost:8081"));
	assert_false(regit_serve_is_loopback("0.0.0.0:8081"));
	assert_false(regit_serve_is_loopback("[::]:8081"));
	assert_false(regit_serve_is_loopback(":8081"));
	assert_false(regit_serve_is_loopback("10.0.0.1:8081"));
	assert_false(regit_serve_is_loopback("[::ffff:10.0.0.1]:8081"));
	assert_true(regit_serve_is_loopback("[::ffff:127.0.0.1]:8081"));
	assert_false(regit_serve_is_loopback("8081"));
	assert_false(regit_serve_is_loopback(NULL));
	assert_false(regit_serve_is_loopback("no-such-host.invalid:1"));
}

/* Apply --name VALUE as serve's parser would hand it over. */
static int sec_apply(regit_serve_security *sec, const char *name, const char *value)
{
	const regit_opt_spec *s;
	regit_opt o;

	for (s = regit_serve_security_opt_specs; s->kind != REGIT_OPT_END; s++) {
		if (strcmp(s->name, name) == 0) {
			o.spec = s;
			o.value = value;
			return regit_serve_security_apply(sec, &o);
		}
	}
	o.spec = NULL;
	o.value = name;
	return regit_serve_security_apply(sec, &o);
}

static void test_serve_security__args(void **state)
{
	regit_serve_security sec = REGIT_SERVE_SECURITY_INIT;
	const regit_opt_spec *s;

	(void)state;
	assert_int_equal(sec_apply(&sec, "auth", "f"), 1);
	assert_string_equal(sec.auth_path, "f");
	assert_int_equal(sec_apply(&sec, "tls-cert", "c"), 1);
	assert_string_equal(sec.tls_cert_path, "c");
	assert_int_equal(sec_apply(&sec, "tls-key", "k"), 1);
	assert_string_equal(sec.tls_key_path, "k");
	assert_int_equal(sec_apply(&sec, "tls-priorities", "NORMAL"), 1);
	assert_string_equal(sec.tls_priorities, "NORMAL");
	assert_int_equal(sec_apply(&sec, "insecure-no-auth", NULL), 1);
	assert_true(sec.insecure_no_auth);
	assert_int_equal(sec_apply(&sec, "max-body-memory", "8"), 1);
	assert_string_equal(sec.max_body_memory, "8");
	assert_int_equal(sec_apply(&sec, "max-connections-per-ip", "3"), 1);
	assert_string_equal(sec.max_per_ip, "3");
	assert_int_equal(sec_apply(&sec, "header-timeout", "2"), 1);
	assert_string_equal(sec.header_timeout, "2");
	/* not ours: serve's own options and operands */
	assert_int_equal(sec_apply(&sec, "store", "x"), 0);
	/* the flag takes no value; every other option does */
	for (s = regit_serve_security_opt_specs; s->kind != REGIT_OPT_END; s++) {
		assert_int_equal(s->kind == REGIT_OPT_FLAG,
			strcmp(s->name, "insecure-no-auth") == 0);
		assert_true(s->id >= 2000);
	}
}

static void write_file(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

static void test_serve_security__prepare(void **state)
{
	regit_serve_security sec = REGIT_SERVE_SECURITY_INIT;
	regit_http_options h = REGIT_HTTP_OPTIONS_INIT;
	char *dir = test_tmpdir_new("servesec");
	char good[512], bad[512], pem[512];

	(void)state;
	assert_non_null(dir);
	snprintf(good, sizeof(good), "%s/creds", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	snprintf(pem, sizeof(pem), "%s/x.pem", dir);
	/* openssl passwd -6 -salt saltsalt secret */
	write_file(good, "alice:admin:$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1\n", 0600);
	write_file(bad, "alice:root:x\n", 0600);
	write_file(pem, "not pem\n", 0600);

	/* loopback without auth: fine */
	assert_int_equal(regit_serve_security_prepare(&sec, &h), 0);
	assert_null(sec.auth);
	/* anything else needs --auth or --insecure-no-auth */
	h.listen = "0.0.0.0:8081";
	assert_int_equal(regit_serve_security_prepare(&sec, &h), -1);
	sec.insecure_no_auth = 1;
	assert_int_equal(regit_serve_security_prepare(&sec, &h), 0);
	sec.insecure_no_auth = 0;
	sec.auth_path = good;
	assert_int_equal(regit_serve_security_prepare(&sec, &h), 0);
	assert_non_null(sec.auth);
	assert_int_equal(regit_auth_count(sec.auth), 1);
	regit_serve_security_dispose(&sec);
	sec.auth_path = bad;
	assert_int_equal(regit_serve_security_prepare(&sec, &h), -1);
	regit_serve_security_dispose(&sec);
	sec.auth_path = "/nonexistent/creds";
	assert_int_equal(regit_serve_security_prepare(&sec, &h), -1);
	regit_serve_security_dispose(&sec);

	/* TLS: both or neither; PEM required */
	sec.auth_path = NULL;
	h.listen = "127.0.0.1:0";
	sec.tls_cert_path = pem;
	assert_int_equal(regit_serve_security_prepare(&sec, &h), -1);
	sec.tls_key_path = pem;
	assert_int_equal(regit_serve_security_prepare(&sec, &h), -1);
	assert_null(h.tls_cert_pem);
	regit_serve_security_dispose(&sec);
	test_tmpdir_remove(dir);
}

/* In a child, so this test process stays debuggable. */
static void test_serve_security__harden_process(void **state)
{
	int status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;

		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
			_exit(10);    /* the seam proves nothing if it was 0 already */
		if (regit_serve_harden_process() != 0)
			_exit(11);
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(12);
		if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serve_security__loopback),
		cmocka_unit_test(test_serve_security__args),
		cmocka_unit_test(test_serve_security__prepare),
		cmocka_unit_test(test_serve_security__harden_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
