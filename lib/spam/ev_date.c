/* lib/spam/ev_date.c - dates as SpamAssassin 4.0.1 reads them: Util.pm's
 * parse_rfc822_date (date forms, clamps, %TZ) and HeaderEval's date of a
 * Received field. Pure. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ev_int.h"

static const char *const ev_months[] = {"jan", "feb", "mar", "apr",
					"may", "jun", "jul", "aug",
					"sep", "oct", "nov", "dec"};

/* Util.pm's %TZ: the names parse_rfc822_date knows, minutes east. */
static const struct {
	const char *n;
	int min;
} ev_tz[] = {{"UT", 0},	     {"UTC", 0},     {"NDT", -150},  {"AST", -240},
	     {"ADT", -180},  {"NST", -210},  {"EST", -300},  {"EDT", -240},
	     {"CST", -360},  {"CDT", -300},  {"MST", -420},  {"MDT", -360},
	     {"PST", -480},  {"PDT", -420},  {"HST", -600},  {"AKST", -540},
	     {"AKDT", -480}, {"HADT", -540}, {"HAST", -600}, {"GMT", 0},
	     {"BST", 60},    {"IST", 60},    {"WET", 0},     {"WEST", 60},
	     {"CET", 60},    {"CEST", 120},  {"EET", 120},   {"EEST", 180},
	     {"MSK", 180},   {"MSD", 240},   {"MET", 60},    {"MEZ", 60},
	     {"MEST", 120},  {"MESZ", 120},  {"BRST", -120}, {"BRT", -180},
	     {"AEST", 600},  {"AEDT", 660},  {"ACST", 570},  {"ACDT", 630},
	     {"AWST", 480},  {"NZST", 720},  {"NZDT", 780},  {"JST", 540},
	     {"KST", 540},   {"HKT", 480},   {"SGT", 480},   {"PHT", 480},
	     {"IDT", 180},   {NULL, 0}};

/* The month at s (3 letters, any case) 1-12, or 0. */
static int
ev_month(const char *s)
{
	size_t i;

	for (i = 0; i < 12; i++)
		if (strncasecmp(s, ev_months[i], 3) == 0)
			return (int)i + 1;
	return 0;
}

/* Digits at s: their count (n_out) and value (capped). */
static size_t
ev_digits(const char *s, long *v)
{
	size_t n = 0;

	for (*v = 0; isdigit((unsigned char)s[n]); n++)
		*v = *v < 100000 ? *v * 10 + (s[n] - '0') : *v;
	return n;
}

/* parse_rfc822_date's three date forms, tried in turn over the whole
 * text: " D Mon YYYY ", " Mon D h:m:s YYYY ", " D Mon YY(Y) "; the match
 * is cut (one space left). 0 when none matches. */
static int
ev_date_part(char *b, long *dd, int *mon, long *yy, size_t *ylen)
{
	int form;
	char *p;
	size_t n, k;
	long t;

	for (form = 0; form < 3; form++)
		for (p = b; (p = strchr(p, ' ')) != NULL; p++) {
			char *q = p + 1;

			if (form == 1) {
				if ((*mon = ev_month(q)) == 0 || q[3] != ' ')
					continue;
				for (q += 4; *q == ' '; q++)
					;
				if ((n = ev_digits(q, dd)) == 0 ||
				    q[n] != ' ' ||
				    (k = ev_digits(q + n + 1, &t)) == 0 ||
				    q[n + 1 + k] != ':')
					continue;
				q += n + 2 + k;
				if ((n = ev_digits(q, &t)) == 0 ||
				    q[n] != ':' ||
				    (k = ev_digits(q + n + 1, &t)) == 0 ||
				    q[n + 1 + k] != ' ')
					continue;
				q += n + 2 + k;
			} else {
				if ((n = ev_digits(q, dd)) == 0 ||
				    q[n] != ' ' ||
				    (*mon = ev_month(q + n + 1)) == 0 ||
				    q[n + 4] != ' ')
					continue;
				q += n + 5;
			}
			*ylen = ev_digits(q, yy);
			if (q[*ylen] != ' ' ||
			    (form < 2 ? *ylen != 4 : *ylen < 2 || *ylen > 3))
				continue;
			q += *ylen;
			memmove(p + 1, q + 1, strlen(q + 1) + 1);
			return 1;
		}
	return 0;
}

/* " h:mm[:ss] ", the first, into hms (cut). */
static void
ev_time_part(char *b, long *hms)
{
	char *p, *q;
	size_t n;

	for (p = b; (p = strchr(p, ' ')) != NULL; p++) {
		q = p + 1;
		n = isdigit((unsigned char)q[0]) && isdigit((unsigned char)q[1])
			? 2
			: isdigit((unsigned char)q[0]) != 0;
		if (n == 0 || q[n] != ':' ||
		    !isdigit((unsigned char)q[n + 1]) ||
		    !isdigit((unsigned char)q[n + 2]))
			continue;
		hms[0] = strtol(q, NULL, 10);
		hms[1] = strtol(q + n + 1, NULL, 10);
		q += n + 3;
		if (q[0] == ':' && isdigit((unsigned char)q[1]) &&
		    isdigit((unsigned char)q[2]) && q[3] == ' ') {
			hms[2] = strtol(q + 1, NULL, 10);
			q += 3;
		} else if (q[0] != ' ')
			continue;
		memmove(p + 1, q + 1, strlen(q + 1) + 1);
		return;
	}
}

static int
ev_word_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* " +hhmm " the first, else the first word of 2-4 capitals (and
 * "-DST") if %TZ knows it: seconds east; 0 when neither. */
static long
ev_zone(const char *b)
{
	const char *p;
	size_t n, i;

	for (p = b; (p = strchr(p, ' ')) != NULL; p++)
		if ((p[1] == '+' || p[1] == '-') &&
		    strspn(p + 2, "0123456789") >= 4 && p[6] == ' ')
			return (p[1] == '-' ? -1 : 1) *
			       (((p[2] - '0') * 10 + (p[3] - '0')) * 3600L +
				((p[4] - '0') * 10 + (p[5] - '0')) * 60L);
	for (p = b; *p; p++) {
		if (!isupper((unsigned char)*p) ||
		    (p > b && ev_word_char(p[-1])))
			continue;
		for (n = 0; ev_word_char(p[n]); n++)
			;
		if (n < 2 || n > 4 ||
		    strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") < n)
			continue;
		if (p[n] == '-' && strncmp(p + n + 1, "DST", 3) == 0 &&
		    !ev_word_char(p[n + 4]))
			return 0; /* "EST-DST": not in %TZ */
		for (i = 0; ev_tz[i].n != NULL; i++)
			if (strlen(ev_tz[i].n) == n &&
			    strncmp(p, ev_tz[i].n, n) == 0)
				return ev_tz[i].min * 60L;
		return 0; /* the first such word only */
	}
	return 0;
}

/* Util.pm's parse_rfc822_date, step for step: the date forms, the time,
 * the zone, each field clamped (a day past the month's end is the 1st
 * of the next, years outside 1970-2037 are 1970 or 2037; "0102" is
 * 1970); day 0 is refused as timegm croaks. 0 or -1. */
int
ev_parse_date(const char *s, time_t *out)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	char b[512];
	long dd, yy, hms[3] = {0, 0, 0}, max, off;
	size_t o = 0, ylen;
	int mon, sp = 1;
	struct tm tm;
	time_t t;

	/* " $date ", ", *" and every run of blanks one space */
	b[o++] = ' ';
	for (; *s && o < sizeof(b) - 2; s++) {
		int blank = isspace((unsigned char)*s) || *s == ',';

		if (*s == ',')
			while (s[1] == ' ')
				s++;
		if (blank && sp)
			continue;
		b[o++] = blank ? ' ' : *s;
		sp = blank;
	}
	if (!sp)
		b[o++] = ' ';
	b[o] = '\0';
	if (!ev_date_part(b, &dd, &mon, &yy, &ylen))
		return -1;
	if (ylen == 2 && yy < 50)
		yy += 2000;
	else if (ylen != 4)
		yy += 1900;
	ev_time_part(b, hms);
	off = ev_zone(b);
	hms[2] = hms[2] > 59 ? 59 : hms[2];
	hms[1] = hms[1] > 59 ? 59 : hms[1];
	hms[0] = hms[0] > 23 ? 23 : hms[0];
	max = mon == 2
		  ? (yy % 4 == 0 && (yy % 100 != 0 || yy % 400 == 0) ? 29 : 28)
		  : mdays[mon - 1];
	if (dd > max) {
		dd = 1;
		if (++mon > 12) {
			mon = 1;
			yy++;
		}
	}
	yy = yy > 2037 ? 2037 : yy < 1970 ? 1970 : yy;
	if (dd < 1)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)yy - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = (int)dd;
	tm.tm_hour = (int)hms[0];
	tm.tm_min = (int)hms[1];
	tm.tm_sec = (int)hms[2];
	t = timegm(&tm);
	/* a "+" zone never takes the time below 0 */
	*out = off > 0 && t < off ? 0 : t - off;
	return 0;
}

static size_t
ev_ndig(const char *s)
{
	size_t n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	return n;
}

/* The first "(\s.?\d+ \S\S\S \d+ \d+:\d+:\d+ \S+)" of a Received
 * field into d; 0 when none. */
int
ev_rcvd_date(const char *r, char *d, size_t dlen)
{
	const char *p, *q;
	size_t n;
	int k;

	for (p = r; *p; p++) {
		if (!isspace((unsigned char)*p))
			continue;
		q = isdigit((unsigned char)p[1]) ? p + 1
		    : p[1] != '\0' && p[1] != '\n' &&
			    isdigit((unsigned char)p[2])
			? p + 2
			: NULL;
		if (q == NULL || q[n = ev_ndig(q)] != ' ')
			continue;
		q += n + 1;
		if (!q[0] || isspace((unsigned char)q[0]) || !q[1] ||
		    isspace((unsigned char)q[1]) || !q[2] ||
		    isspace((unsigned char)q[2]) || q[3] != ' ')
			continue;
		q += 4;
		if ((n = ev_ndig(q)) == 0 || q[n] != ' ')
			continue;
		q += n + 1;
		for (k = 0; k < 3; k++) {
			if ((n = ev_ndig(q)) == 0 ||
			    q[n] != (k < 2 ? ':' : ' '))
				break;
			q += n + 1;
		}
		if (k < 3 || !*q || isspace((unsigned char)*q))
			continue;
		while (*q && !isspace((unsigned char)*q))
			q++;
		snprintf(d, dlen, "%.*s", (int)(q - p), p);
		return 1;
	}
	return 0;
}
