/* tests/fuzz/fuzz_sieve.c - sieve_compile on arbitrary bytes and, when it
 * compiles, sieve_execute over a fixed message and over one whose Subject,
 * From and envelope carry the input too (RFC 2047 and address parsing on
 * hostile bytes). Small limits so the limit paths are reached. A result
 * must never be empty, and an error must leave exactly one KEEP.
 *
 * The interpreter's files are compiled into the target (they are pure and
 * need only lib/buf and lib/addr) so that fuzzing builds instrument them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../delivery/sieve/arena.c"
#include "../../delivery/sieve/compile.c"
#include "../../delivery/sieve/eval.c"
#include "../../delivery/sieve/exec.c"
#include "../../delivery/sieve/lexer.c"
#include "../../delivery/sieve/match.c"
#include "../../delivery/sieve/parser.c"
#include "../../delivery/sieve/rfc2047.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_run(const struct sieve_script *s, const struct sieve_msg *msg,
       const struct sieve_limits *lim)
{
	const struct sieve_script *list[2] = {s, s};
	struct sieve_result res;
	struct sieve_error err;
	enum sieve_status st;

	st = sieve_execute(list, 2, msg, lim, &res, &err);
	if (res.nactions == 0 && st != SIEVE_ENOMEM)
		__builtin_trap();
	if (st != SIEVE_OK && st != SIEVE_ENOMEM &&
	    (res.nactions != 1 || res.actions[0].type != SIEVE_ACT_KEEP))
		__builtin_trap();
	sieve_result_free(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sieve_header fixed[] = {
	    {"From", "\"Joe\" <joe+lists@example.com>, bob@example.net"},
	    {"To", "me@example.org"},
	    {"Subject", "=?UTF-8?Q?caf=C3=A9?= =?ISO-8859-1?B?6Q==?= deal"},
	    {"X-Spam-Flag", "YES"},
	    {"Received", "from a"},
	    {"Received", "from b"},
	};
	struct sieve_limits lim = {1 << 16, 8, 8, 2, 16};
	struct sieve_msg msg = {"bounce@list.org",
				"me+shop@example.org",
				"+",
				4096,
				fixed,
				sizeof(fixed) / sizeof(fixed[0])};
	struct sieve_header hostile[3];
	struct sieve_script *s = NULL;
	struct sieve_error err;
	enum sieve_status st;
	char text[2048];
	size_t n;

	st = sieve_compile(data, size, &lim, &s, &err);
	if ((st == SIEVE_OK) != (s != NULL) ||
	    memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
		__builtin_trap();
	if (s == NULL)
		return 0;
	fz_run(s, &msg, &lim);
	n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	hostile[0] = (struct sieve_header){"Subject", text};
	hostile[1] = (struct sieve_header){"From", text};
	hostile[2] = (struct sieve_header){"To", text};
	msg.headers = hostile;
	msg.nheaders = 3;
	msg.env_from = text;
	msg.env_to = text;
	fz_run(s, &msg, &lim);
	sieve_free(&s);
	return 0;
}
