/* delivery/maildir_name_test.c - Dovecot file names, flags, sizes, folder
 * names (modified UTF-7) and path checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "maildir_name.h"

static void
basename_follows_dovecot_format(void **state)
{
	struct maildir_uniq u = {1700000000, 123456, 4242, 7,
				 "mx/1:a.example.org"};
	const char *want =
	    "1700000000.M123456P4242Q7.mx\\0571\\072a.example.org"
	    ",S=100,W=104";
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(maildir_basename(&u, 100, 104, &b), 0);
	if (strcmp(buf_str(&b), want) != 0)
		fail_msg("got %s, want %s", buf_str(&b), want);
	buf_free(&b);
}

static void
flags_suffix_is_sorted_like_dovecot(void **state)
{
	static const struct {
		unsigned flags;
		const char *want;
	} c[] = {
	    {0, ""},
	    {MAILDIR_FLAG_SEEN, ":2,S"},
	    {MAILDIR_FLAG_FLAGGED, ":2,F"},
	    {MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED, ":2,FS"},
	    {0x1f, ":2,DFRST"},
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		buf_reset(&b);
		assert_int_equal(maildir_flags_suffix(c[i].flags, &b), 0);
		if (strcmp(buf_str(&b), c[i].want) != 0)
			fail_msg("flags %#x: got \"%s\", want \"%s\"",
				 c[i].flags, buf_str(&b), c[i].want);
	}
	buf_free(&b);
}

static void
vsize_counts_lf_without_cr_twice(void **state)
{
	static const struct {
		const char *s;
		int prev_cr;
		size_t want;
	} c[] = {
	    {"", 0, 0},	  {"a\nb\n", 0, 6}, {"a\r\nb\n", 0, 6},
	    {"\n", 1, 1}, {"\r", 0, 1},	    {"\n\n\n", 0, 6},
	};
	size_t i, got;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		got = maildir_vsize((const unsigned char *)c[i].s,
				    strlen(c[i].s), c[i].prev_cr);
		if (got != c[i].want)
			fail_msg("case %zu: got %zu, want %zu", i, got,
				 c[i].want);
	}
}

static void
folder_names_map_like_dovecot_maildirpp(void **state)
{
	static const struct {
		const char *name;
		const char *want; /* NULL = refused */
	} c[] = {
	    {"INBOX", ""},
	    {"inbox", ""},
	    {"Spam", ".Spam"},
	    {"lists.foo", ".lists.foo"},
	    {"Entw\xc3\xbcrfe", ".Entw&APw-rfe"},
	    {"A&B", ".A&-B"},
	    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", ".&ZeVnLIqe-"},
	    {"\xf0\x9f\x93\xa7", ".&2D3c5w-"},
	    {"", NULL},
	    {".hidden", NULL},
	    {"a..b", NULL},
	    {"a.", NULL},
	    {"..", NULL},
	    {"a/b", NULL},
	    {"../../etc", NULL},
	    {"tab\there", NULL},
	    {"bad\xc3", NULL},
	    {"\xc0\xaf", NULL},
	    {"\xed\xa0\x80", NULL},
	};
	struct buf b;
	size_t i;
	int rc;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		buf_reset(&b);
		rc = maildir_folder_dir(c[i].name, &b);
		if (c[i].want == NULL && rc == 0)
			fail_msg("\"%s\": got \"%s\", want refused", c[i].name,
				 buf_str(&b));
		if (c[i].want && (rc != 0 || strcmp(buf_str(&b), c[i].want)))
			fail_msg("\"%s\": got rc %d \"%s\", want \"%s\"",
				 c[i].name, rc, buf_str(&b), c[i].want);
	}
	buf_free(&b);
}

static void
long_folder_name_is_refused(void **state)
{
	char name[300];
	struct buf b;

	(void)state;
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	buf_init(&b, 0);
	assert_int_equal(maildir_folder_dir(name, &b), -1);
	buf_free(&b);
}

static void
database_paths_must_stay_relative(void **state)
{
	static const struct {
		const char *p;
		int want;
	} c[] = {
	    {"example.org/alice/", 0},
	    {"example.org/alice", 0},
	    {"a", 0},
	    {"", -1},
	    {"/etc/", -1},
	    {"example.org/../root/", -1},
	    {"../x/", -1},
	    {"example.org//alice/", -1},
	    {"./alice/", -1},
	    {"a/\x01/", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (maildir_path_ok(c[i].p) != c[i].want)
			fail_msg("\"%s\": got %d, want %d", c[i].p,
				 maildir_path_ok(c[i].p), c[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(basename_follows_dovecot_format),
	    cmocka_unit_test(flags_suffix_is_sorted_like_dovecot),
	    cmocka_unit_test(vsize_counts_lf_without_cr_twice),
	    cmocka_unit_test(folder_names_map_like_dovecot_maildirpp),
	    cmocka_unit_test(long_folder_name_is_refused),
	    cmocka_unit_test(database_paths_must_stay_relative),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
