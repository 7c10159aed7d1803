/* lib/log.c - syslog(LOG_MAIL) or stderr logging; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

static const char *log_ident = "facteur";
static int log_stderr = 1;
static int log_level = LOG_INFO;

void
log_open(const char *ident, int to_stderr)
{
	log_ident = ident;
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(int prio)
{
	log_level = prio;
}

int
log_debug_enabled(void)
{
	return log_level >= LOG_DEBUG;
}

static void __attribute__((format(printf, 2, 0)))
log_v(int prio, const char *fmt, va_list ap)
{
	static const char *names[] = {"emerg",	 "alert",  "crit", "error",
				      "warning", "notice", "info", "debug"};
	char line[2048];

	if (prio > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_stderr)
		fprintf(stderr, "%s: %s: %s\n", log_ident, names[prio & 7],
			line);
	else
		syslog(LOG_MAIL | prio, "%s", line);
}

#define LOG_FN(name, prio)                                                     \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_v(prio, fmt, ap);                                          \
		va_end(ap);                                                    \
	}
LOG_FN(log_err, LOG_ERR)
LOG_FN(log_warn, LOG_WARNING)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_safe(const void *p, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	size_t i, o = 0, mark = 0;

	if (outlen == 0)
		return out;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

		if (o + 4 <= outlen)
			mark = o; /* room for "..." and NUL from here */
		if (o + need + 1 > outlen) {
			o = mark;
			if (o + 4 <= outlen) {
				out[o++] = '.';
				out[o++] = '.';
				out[o++] = '.';
			}
			break;
		}
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
