/* lib/milter/reply.c - SMTP reply validation and escaping; see reply.h. */
#include "reply.h"

#include <string.h>

#include "buf.h"

static int
reply_digits(const char *p, size_t min, size_t max, const char **end)
{
	size_t n = 0;

	while (p[n] >= '0' && p[n] <= '9')
		n++;
	*end = p + n;
	return n >= min && n <= max;
}

const char *
mlt_reply_check(const char *code, const char *xcode, const char *text)
{
	const char *e;
	size_t i;

	if (code == NULL || strlen(code) != 3 || !reply_digits(code, 3, 3, &e))
		return "reply code must be three digits";
	if (code[0] != '4' && code[0] != '5')
		return "reply code must be 4xx or 5xx";
	if (xcode != NULL && *xcode != '\0') {
		if (xcode[0] != code[0] || xcode[1] != '.')
			return "enhanced status class must match the code";
		if (!reply_digits(xcode + 2, 1, 3, &e) || *e != '.' ||
		    !reply_digits(e + 1, 1, 3, &e) || *e != '\0')
			return "enhanced status must look like 5.7.1";
	}
	if (text == NULL || *text == '\0')
		return "reply text is empty";
	for (i = 0; text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];
		if (i >= MLT_REPLY_TEXT_MAX)
			return "reply text is too long";
		if (c == '\r' || c == '\n')
			return "reply text contains CR or LF";
		if (c < 32 || c > 126)
			return "reply text contains a control or "
			       "non-ASCII byte";
	}
	return NULL;
}

int
mlt_reply_escape(const char *text, struct buf *out)
{
	const char *p;

	for (p = text; *p != '\0'; p++) {
		if (*p == '%' && buf_addc(out, '%') < 0)
			return -1;
		if (buf_addc(out, *p) < 0)
			return -1;
	}
	return buf_add(out, "", 0);
}
