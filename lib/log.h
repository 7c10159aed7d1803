/* lib/log.h - the one logging API.
 *
 * Daemons log to syslog, facility LOG_MAIL, ident = program name; with -f
 * (foreground) or from the CLI, to stderr as "ident: level: message".
 * Thread-safe (syslog(3) and a single fprintf per line). */
#ifndef FACTEUR_LIB_LOG_H
#define FACTEUR_LIB_LOG_H

#include <stddef.h>

/* to_stderr: 1 = stderr only, 0 = syslog only. ident is borrowed forever. */
void log_open(const char *ident, int to_stderr);
/* Messages below this syslog priority are dropped (default LOG_INFO). */
void log_set_level(int prio);
int log_debug_enabled(void);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_err, then exit(1). Only for startup; never on a per-message path. */
void log_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Copies untrusted bytes p[0..len) into out[0..outlen) for logging: control
 * bytes and non-ASCII become \xHH, the result is capped (ending in "...")
 * and always NUL-terminated. Returns out. Pure. */
char *log_safe(const void *p, size_t len, char *out, size_t outlen);

#endif
