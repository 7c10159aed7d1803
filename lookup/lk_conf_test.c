/* lookup/lk_conf_test.c - [lookup] validation: tcp addresses, modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lk_conf.h"

static void
test_tcp_addresses(void **state)
{
	static const struct {
		const char *in;
		int want, loopback;
	} t[] = {
	    {"127.0.0.1:10044", 0, 1},	{"[::1]:10044", 0, 1},
	    {"0.0.0.0:10044", 0, 0},	{"[2001:db8::1]:25", 0, 0},
	    {"192.0.2.1:65535", 0, 0},	{"127.0.0.1:0", -1, 0},
	    {"127.0.0.1:65536", -1, 0}, {"127.0.0.1", -1, 0},
	    {"::1:10044", -1, 0},	{"localhost:10044", -1, 0},
	    {"[::1]10044", -1, 0},	{"127.0.0.1:10044x", -1, 0},
	};
	struct lk_tcp_addr a;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = lk_tcp_parse(t[i].in, &a, err, sizeof(err));
		if (got != t[i].want ||
		    (got == 0 && a.loopback != t[i].loopback))
			fail_msg("%s: got %d loopback %d, want %d loopback %d",
				 t[i].in, got, a.loopback, t[i].want,
				 t[i].loopback);
	}
}

static void
check_conf(const char *tcp, int allow_remote, const char *mode, int want)
{
	struct lk_settings s;
	char err[512] = "";

	memset(&s, 0, sizeof(s));
	s.socket = "/tmp/x";
	s.socket_mode = (char *)mode;
	s.tcp = (char *)tcp;
	s.policy_socket = s.policy_tcp = "";
	s.allow_remote = allow_remote;
	s.recipient_delimiter = "+";
	s.null_access_lookup_key = "<>";
	if (lk_conf_check(&s, 1, err, sizeof(err)) != want)
		fail_msg("tcp=%s allow_remote=%d mode=%s: got %d (%s), want %d",
			 tcp, allow_remote, mode, !want ? -1 : 0, err, want);
}

static void
test_remote_tcp_needs_allow_remote(void **state)
{
	check_conf("127.0.0.1:10044", 0, "0666", 0);
	check_conf("0.0.0.0:10044", 0, "0666", -1);
	check_conf("0.0.0.0:10044", 1, "0666", 0);
	check_conf("", 0, "0660", 0);
	check_conf("", 0, "0999", -1);
	check_conf("", 0, "1777", -1);
	check_conf("", 0, "", -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_addresses),
	    cmocka_unit_test(test_remote_tcp_needs_allow_remote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
