/* tests/fuzz/fuzz_av_reply.c - clamd's replies (milters/av/av_reply.c) on
 * any bytes: the INSTREAM verdict, PONG and VERSION parsers and the date
 * parser. Checks: a parsed reply's length lies inside the input and ends
 * at its first NUL; a FOUND names a signature of allowed bytes only; an
 * error text is printable; every status is known. The pure file is
 * compiled in (it lives in milters/av, outside libfacteur). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../milters/av/av_reply.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_used(enum av_rstatus st, const uint8_t *data, size_t size, size_t used)
{
	if (st > AVR_ELIMIT)
		__builtin_trap();
	if (st == AVR_OK &&
	    (used == 0 || used > size || data[used - 1] != '\0' ||
	     memchr(data, '\0', used - 1) != NULL))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct av_reply_limits small = {64};
	struct av_reply r;
	struct av_version v;
	size_t used = 0, off, i;
	enum av_rstatus st;
	time_t t;

	st = av_reply_parse(data, size, NULL, &r, &used, &off);
	fz_used(st, data, size, used);
	if (st == AVR_OK && r.result == AV_FOUND) {
		if (r.name[0] == '\0' || strlen(r.name) > AV_NAME_MAX)
			__builtin_trap();
		for (i = 0; r.name[i] != '\0'; i++)
			if (!av_name_byte((unsigned char)r.name[i]))
				__builtin_trap();
	}
	if (st == AVR_OK && r.result == AV_FAILED)
		for (i = 0; r.text[i] != '\0'; i++)
			if (r.text[i] < 0x20 || r.text[i] == 0x7f)
				__builtin_trap();
	st = av_reply_parse(data, size, &small, &r, &used, &off);
	fz_used(st, data, size, used);
	st = av_pong_parse(data, size, NULL, &used, &off);
	fz_used(st, data, size, used);
	st = av_version_parse(data, size, NULL, &v, &used, &off);
	fz_used(st, data, size, used);
	if (st == AVR_OK &&
	    (v.version[0] == '\0' || strlen(v.version) > AV_VERSION_MAX))
		__builtin_trap();
	if (av_date_parse((const char *)data, size, &t) == 0 && t < 0)
		__builtin_trap();
	return 0;
}
