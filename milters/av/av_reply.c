/* milters/av/av_reply.c - clamd's replies, parsed bounded; see
 * av_reply.h. A reply that is not exactly one of clamd's forms is an
 * error, never "clean": the caller then applies on_error. */
#include "av_reply.h"

#include <string.h>

#define AV_DEFAULT_MAX_REPLY 1024

static const char av_stream[] = "stream: ";
static const char av_toobig[] = "INSTREAM size limit exceeded. ERROR";

const char *
av_rstatus_name(enum av_rstatus s)
{
	switch (s) {
	case AVR_OK:
		return "ok";
	case AVR_ETRUNC:
		return "truncated reply";
	case AVR_ESYNTAX:
		return "unknown reply";
	case AVR_ELIMIT:
		return "reply too long";
	}
	return "?";
}

/* Finds the NUL that ends the reply: AVR_OK with *n its offset. */
static enum av_rstatus
av_line(const unsigned char *p, size_t len, const struct av_reply_limits *lim,
	size_t *n, size_t *err_off)
{
	size_t max =
	    lim && lim->max_reply ? lim->max_reply : AV_DEFAULT_MAX_REPLY;
	size_t scan = len < max + 1 ? len : max + 1;
	const unsigned char *z = scan ? memchr(p, '\0', scan) : NULL;

	if (z == NULL) {
		*err_off = scan;
		return len > max ? AVR_ELIMIT : AVR_ETRUNC;
	}
	*n = (size_t)(z - p);
	return AVR_OK;
}

static int
av_name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("._:/+()@#!=~-", c) != NULL);
}

/* s[0..n) printable into out (cap bytes + NUL), others as '?'. */
static void
av_printable(const unsigned char *s, size_t n, char *out, size_t cap)
{
	size_t i;

	if (n > cap)
		n = cap;
	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[n] = '\0';
}

static int
av_ends_with(const unsigned char *p, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(p + n - k, suffix, k) == 0;
}

enum av_rstatus
av_reply_parse(const unsigned char *p, size_t len,
	       const struct av_reply_limits *lim, struct av_reply *out,
	       size_t *used, size_t *err_off)
{
	const size_t sl = sizeof(av_stream) - 1;
	enum av_rstatus st;
	size_t n, i, nl;

	memset(out, 0, sizeof(*out));
	*err_off = 0;
	if ((st = av_line(p, len, lim, &n, err_off)) != AVR_OK)
		return st;
	*used = n + 1;
	if (n == sizeof(av_toobig) - 1 && memcmp(p, av_toobig, n) == 0) {
		out->result = AV_TOOBIG;
		return AVR_OK;
	}
	if (av_ends_with(p, n, " ERROR")) {
		out->result = AV_FAILED;
		av_printable(p, n - 6, out->text, AV_TEXT_MAX);
		return AVR_OK;
	}
	if (n < sl || memcmp(p, av_stream, sl) != 0) {
		for (i = 0;
		     i < n && i < sl && p[i] == (unsigned char)av_stream[i];
		     i++)
			;
		*err_off = i;
		return AVR_ESYNTAX;
	}
	if (n == sl + 2 && memcmp(p + sl, "OK", 2) == 0) {
		out->result = AV_CLEAN;
		return AVR_OK;
	}
	if (!av_ends_with(p, n, " FOUND") || n - 6 <= sl) {
		*err_off = sl;
		return AVR_ESYNTAX;
	}
	nl = n - 6 - sl;
	for (i = 0; i < nl; i++)
		if (!av_name_byte(p[sl + i])) {
			*err_off = sl + i;
			return AVR_ESYNTAX;
		}
	if (nl > AV_NAME_MAX) {
		*err_off = sl + AV_NAME_MAX;
		return AVR_ESYNTAX;
	}
	out->result = AV_FOUND;
	memcpy(out->name, p + sl, nl);
	out->name[nl] = '\0';
	return AVR_OK;
}

enum av_rstatus
av_pong_parse(const unsigned char *p, size_t len,
	      const struct av_reply_limits *lim, size_t *used, size_t *err_off)
{
	enum av_rstatus st;
	size_t n;

	*err_off = 0;
	if ((st = av_line(p, len, lim, &n, err_off)) != AVR_OK)
		return st;
	*used = n + 1;
	if (n != 4 || memcmp(p, "PONG", 4) != 0)
		return AVR_ESYNTAX;
	return AVR_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
av_days(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* n digits at p[*i] (exactly n, or 1..n when n < 0) into *v. */
static int
av_num(const char *p, size_t len, size_t *i, int n, long *v)
{
	int k, want = n < 0 ? -n : n;

	*v = 0;
	for (k = 0; k < want && *i < len && p[*i] >= '0' && p[*i] <= '9';
	     k++, (*i)++)
		*v = *v * 10 + (p[*i] - '0');
	return k == want || (n < 0 && k > 0) ? 0 : -1;
}

static int
av_lit(const char *p, size_t len, size_t *i, char c)
{
	if (*i >= len || p[*i] != c)
		return -1;
	(*i)++;
	return 0;
}

int
av_date_parse(const char *p, size_t len, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	long day, hh, mm, ss, year;
	size_t i = 4;
	int mon;

	if (len < 20 || p[3] != ' ')
		return -1;
	for (mon = 0; mon < 12; mon++)
		if (memcmp(p + i, months + 3 * mon, 3) == 0)
			break;
	if (mon == 12)
		return -1;
	i += 3;
	while (i < len && p[i] == ' ')
		i++;
	if (av_num(p, len, &i, -2, &day) || av_lit(p, len, &i, ' ') ||
	    av_num(p, len, &i, 2, &hh) || av_lit(p, len, &i, ':') ||
	    av_num(p, len, &i, 2, &mm) || av_lit(p, len, &i, ':') ||
	    av_num(p, len, &i, 2, &ss) || av_lit(p, len, &i, ' ') ||
	    av_num(p, len, &i, 4, &year) || i != len)
		return -1;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970)
		return -1;
	*out =
	    (time_t)(av_days(year, (unsigned)mon + 1, (unsigned)day) * 86400 +
		     hh * 3600 + mm * 60 + ss);
	return 0;
}

enum av_rstatus
av_version_parse(const unsigned char *p, size_t len,
		 const struct av_reply_limits *lim, struct av_version *out,
		 size_t *used, size_t *err_off)
{
	const char *s = (const char *)p;
	size_t n, i = 7, v0, v1;
	enum av_rstatus st;
	long db;

	memset(out, 0, sizeof(*out));
	*err_off = 0;
	if ((st = av_line(p, len, lim, &n, err_off)) != AVR_OK)
		return st;
	*used = n + 1;
	if (n < 8 || memcmp(p, "ClamAV ", 7) != 0)
		return AVR_ESYNTAX;
	for (v0 = i; i < n && (av_name_byte(p[i]) && p[i] != '/'); i++)
		;
	if (i == v0 || i - v0 > 32) {
		*err_off = i;
		return AVR_ESYNTAX;
	}
	v1 = i;
	if (i < n) {
		if (av_lit(s, n, &i, '/') || av_num(s, n, &i, -9, &db) ||
		    av_lit(s, n, &i, '/')) {
			*err_off = i;
			return AVR_ESYNTAX;
		}
		out->dbver = db;
		if (av_date_parse(s + i, n - i, &out->dbtime) != 0) {
			*err_off = i;
			return AVR_ESYNTAX;
		}
	}
	memcpy(out->version, p + v0, v1 - v0);
	out->version[v1 - v0] = '\0';
	return AVR_OK;
}
