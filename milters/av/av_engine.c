/* milters/av/av_engine.c - the av engine: settings, clamd's version
 * cache, one message streamed to clamd, and the decision; see av.h. */
#include "av.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define E(f) offsetof(struct av_settings, f)
const struct cfg_key av_keys[] = {
    {"clamd_socket", CFG_STR, AV_DEFAULT_SOCKET, 0, 0, E(clamd_socket), NULL,
     "clamd's socket: a unix path, or HOST:PORT on loopback"},
    {"action", CFG_ENUM, "reject", 0, 0, E(action), "reject|quarantine|tag",
     "what to do with an infected message"},
    {"max_scan_size", CFG_SIZE, "25M", 1024, 4LL << 30, E(max_scan_size), NULL,
     "bigger messages are tagged \"not scanned\", never clean"},
    {"skip_authenticated", CFG_BOOL, "no", 0, 0, E(skip_authenticated), NULL,
     "do not scan mail from SASL-authenticated clients"},
    {"clamd_timeout", CFG_DURATION, "60s", 100, 600000, E(clamd_timeout), NULL,
     "each clamd step (connect, write, the verdict)"},
    {"authserv_id", CFG_STR, "", 0, 0, E(authserv_id), NULL,
     "host named in X-Virus-Scanned; empty: the MTA's myhostname"},
    {"max_signature_age", CFG_DURATION, "7d", 3600000, 365LL * 86400000,
     E(max_signature_age), NULL,
     "facteur doctor warns when clamd's signatures are older"},
};
#undef E
const size_t av_nkeys = sizeof(av_keys) / sizeof(av_keys[0]);

/* av_scan.state */
enum { AV_S_STREAMING, AV_S_TOOBIG, AV_S_FAILED };

const char *
av_action_name(enum av_action a)
{
	return a == AV_ACT_REJECT	? "reject"
	       : a == AV_ACT_QUARANTINE ? "quarantine"
					: "tag";
}

int
av_check(void *base, char *err, size_t errlen)
{
	struct av_settings *s = base;
	char why[200];

	if (av_addr_parse(s->clamd_socket, &s->addr, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

static long long
av_mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec;
}

/* Asks clamd's version now; 0 with out filled, or -1 with err. */
static int
av_version_ask(const struct av_settings *s, char *out, size_t outlen, char *err,
	       size_t errlen)
{
	unsigned char buf[1025];
	struct av_version v;
	size_t n, used, off;

	if (av_command(&s->addr, (int)s->clamd_timeout, "VERSION", buf,
		       sizeof(buf), &n, err, errlen) != 0)
		return -1;
	if (av_version_parse(buf, n, NULL, &v, &used, &off) != AVR_OK) {
		snprintf(err, errlen, "clamd: zVERSION: unknown reply");
		return -1;
	}
	if (v.dbver > 0)
		snprintf(out, outlen, "%.32s/%ld", v.version, v.dbver);
	else
		snprintf(out, outlen, "%s", v.version);
	return 0;
}

int
av_init(void *base, char *err, size_t errlen)
{
	struct av_settings *s = base;
	char why[200];

	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		snprintf(err, errlen, "cannot create a lock");
		return -1;
	}
	s->lock_ready = 1;
	snprintf(s->version, sizeof(s->version), "unknown");
	if (av_version_ask(s, s->version, sizeof(s->version), why,
			   sizeof(why)) != 0) {
		log_warn("av: %s (scans answer on_error until it is up)", why);
		return 0;
	}
	s->version_at = av_mono_s();
	log_info("av: clamd %s at %s, action=%s, max_scan_size=%llu",
		 s->version, s->clamd_socket, av_action_name(s->action),
		 s->max_scan_size);
	return 0;
}

void
av_fini(void *base)
{
	struct av_settings *s = base;

	if (s->lock_ready)
		pthread_mutex_destroy(&s->lock);
	s->lock_ready = 0;
}

void
av_version(struct av_settings *s, char *out, size_t outlen)
{
	char v[AV_VERSION_MAX + 1], why[200];
	long long now = av_mono_s();
	int stale;

	if (!s->lock_ready) {
		snprintf(out, outlen, "unknown");
		return;
	}
	pthread_mutex_lock(&s->lock);
	stale = s->version_at == 0 || now - s->version_at >= AV_VERSION_TTL;
	if (stale)
		s->version_at = now; /* one thread refreshes; others go on */
	pthread_mutex_unlock(&s->lock);
	if (stale && av_version_ask(s, v, sizeof(v), why, sizeof(why)) == 0) {
		pthread_mutex_lock(&s->lock);
		memcpy(s->version, v, sizeof(v));
		pthread_mutex_unlock(&s->lock);
	} else if (stale) {
		pthread_mutex_lock(&s->lock);
		s->version_at = 0; /* try again next message */
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_lock(&s->lock);
	snprintf(out, outlen, "%s", s->version);
	pthread_mutex_unlock(&s->lock);
}

void
av_scan_begin(struct av_scan *sc, const struct av_settings *s)
{
	memset(sc, 0, sizeof(*sc));
	sc->state = AV_S_STREAMING;
	if (av_stream_open(&sc->st, &s->addr, (int)s->clamd_timeout) != 0) {
		sc->state = AV_S_FAILED;
		memcpy(sc->err, sc->st.err, sizeof(sc->err));
	}
}

void
av_scan_feed(struct av_scan *sc, const struct av_settings *s, const void *p,
	     size_t len)
{
	sc->size += len;
	if (sc->state != AV_S_STREAMING)
		return;
	if (sc->size > s->max_scan_size) {
		/* clamd would scan a prefix and call it clean: drop it */
		av_stream_close(&sc->st);
		sc->state = AV_S_TOOBIG;
		snprintf(sc->err, sizeof(sc->err), "larger than max_scan_size");
		return;
	}
	if (av_stream_write(&sc->st, p, len) != 0) {
		sc->state = AV_S_FAILED;
		memcpy(sc->err, sc->st.err, sizeof(sc->err));
	}
}

void
av_scan_end(struct av_scan *sc, struct av_result *r)
{
	struct av_reply rep;

	memset(r, 0, sizeof(*r));
	r->size = sc->size;
	if (sc->state == AV_S_STREAMING && av_stream_end(&sc->st, &rep) != 0) {
		sc->state = AV_S_FAILED;
		memcpy(sc->err, sc->st.err, sizeof(sc->err));
	}
	av_stream_close(&sc->st);
	if (sc->state == AV_S_TOOBIG) {
		r->kind = AV_K_TOOBIG;
		memcpy(r->why, sc->err, sizeof(r->why));
		return;
	}
	if (sc->state == AV_S_FAILED) {
		r->kind = AV_K_FAILED;
		memcpy(r->why, sc->err, sizeof(r->why));
		return;
	}
	switch (rep.result) {
	case AV_CLEAN:
		r->kind = AV_K_CLEAN;
		break;
	case AV_FOUND:
		r->kind = AV_K_INFECTED;
		memcpy(r->name, rep.name, sizeof(r->name));
		break;
	case AV_TOOBIG:
		r->kind = AV_K_TOOBIG;
		snprintf(r->why, sizeof(r->why),
			 "larger than clamd's "
			 "StreamMaxLength");
		break;
	case AV_FAILED:
		r->kind = AV_K_FAILED;
		snprintf(r->why, sizeof(r->why), "clamd: %.150s ERROR",
			 rep.text);
		break;
	}
}

void
av_scan_abort(struct av_scan *sc)
{
	av_stream_close(&sc->st);
}

void
av_decide(const struct av_result *r, enum av_action action,
	  enum mlt_on_error on_error, const char *version, const char *authserv,
	  struct av_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->verdict = MLT_CONTINUE;
	switch (r->kind) {
	case AV_K_CLEAN:
	case AV_K_INFECTED:
		snprintf(d->scanned, sizeof(d->scanned), "clamav %s on %s",
			 version, authserv);
		break;
	case AV_K_TOOBIG:
		d->what = "not-scanned";
		snprintf(d->status, sizeof(d->status), "not scanned (%s)",
			 r->why);
		return;
	case AV_K_FAILED:
		d->what = "error";
		if (on_error == MLT_ON_ERROR_TEMPFAIL) {
			d->verdict = MLT_TEMPFAIL;
			d->code = "451";
			d->xcode = "4.3.0";
			snprintf(d->text, sizeof(d->text),
				 "Virus scanner "
				 "unavailable, try again later");
			return;
		}
		snprintf(d->status, sizeof(d->status),
			 "not scanned (virus "
			 "scanner unavailable)");
		return;
	}
	if (r->kind == AV_K_CLEAN) {
		d->what = "clean";
		return;
	}
	d->what = "infected";
	if (action == AV_ACT_REJECT) {
		d->verdict = MLT_REJECT;
		d->code = "554";
		d->xcode = "5.7.1";
		d->scanned[0] = '\0';
		snprintf(d->text, sizeof(d->text),
			 "Message refused: virus "
			 "found (%s)",
			 r->name);
		return;
	}
	d->quarantine = action == AV_ACT_QUARANTINE;
	snprintf(d->status, sizeof(d->status), "infected (%s)", r->name);
}
