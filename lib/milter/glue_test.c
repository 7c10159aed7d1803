/* lib/milter/glue_test.c - the libmilter glue over a recording seam
 * (testseam.h), the test being libmilter: what negotiate asks for, what
 * connect makes of each address family, the macros a filter sees and
 * when, header values with and without SMFIP_HDR_LEADSPC, calls out of
 * order, limits, abort and close, an edit the MTA refuses at eom, the
 * quarantine, and that the xxfi_ callbacks of mlt_glue_use() reach the
 * same functions with libmilter's arguments. runner_test.c covers the
 * verdict combining; this file covers the translation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/un.h>
#include <libmilter/mfapi.h>

#include "glue.h"
#include "testseam.h"

/* A filter that keeps what it was given, and at eom adds a header and
 * quarantines when told to. */
struct gf {
	const char *addr, *name, *daemon, *myhost, *helo; /* at connect/helo */
	const char *queue_at_from, *from, *rcpt; /* while the message lasts */
	char queue_at_eom[32], auth[32];	 /* copies: kept after eom */
	const char *hvalue, *hraw;
	size_t body_len;
	int quarantine, aborts, closes, eoms;
};

static enum mlt_verdict
gf_connect(struct mlt_ctx *c)
{
	struct gf *g = c->cfg;

	g->addr = c->conn->client_addr;
	g->name = c->conn->client_name;
	g->daemon = c->conn->daemon_name;
	g->myhost = c->conn->myhostname;
	return MLT_CONTINUE;
}

static enum mlt_verdict
gf_helo(struct mlt_ctx *c, const char *helo)
{
	((struct gf *)c->cfg)->helo = helo;
	return MLT_CONTINUE;
}

static enum mlt_verdict
gf_envfrom(struct mlt_ctx *c, const char *from)
{
	struct gf *g = c->cfg;

	g->from = from;
	g->queue_at_from = c->msg->macros.queue_id;
	return MLT_CONTINUE;
}

static enum mlt_verdict
gf_envrcpt(struct mlt_ctx *c, const char *rcpt)
{
	((struct gf *)c->cfg)->rcpt = rcpt;
	return MLT_CONTINUE;
}

static enum mlt_verdict
gf_header(struct mlt_ctx *c, const struct mlt_header *h)
{
	struct gf *g = c->cfg;

	g->hvalue = h->value;
	g->hraw = h->raw;
	return MLT_CONTINUE;
}

static enum mlt_verdict
gf_body(struct mlt_ctx *c, const unsigned char *p, size_t len)
{
	((struct gf *)c->cfg)->body_len += len;
	return MLT_CONTINUE;
}

static enum mlt_verdict
gf_eom(struct mlt_ctx *c)
{
	struct gf *g = c->cfg;

	g->eoms++;
	snprintf(g->queue_at_eom, sizeof(g->queue_at_eom), "%s",
		 c->msg->macros.queue_id ? c->msg->macros.queue_id : "(null)");
	snprintf(g->auth, sizeof(g->auth), "%s",
		 c->msg->macros.auth_authen ? c->msg->macros.auth_authen
					    : "(null)");
	if (mlt_add_header(c, "X-Glue", "seen") != 0)
		return MLT_ERROR;
	if (g->quarantine && mlt_quarantine(c, "held by test") != 0)
		return MLT_ERROR;
	return MLT_CONTINUE;
}

static void
gf_abort(struct mlt_ctx *c)
{
	((struct gf *)c->cfg)->aborts++;
}

static void
gf_close(struct mlt_ctx *c)
{
	((struct gf *)c->cfg)->closes++;
}

static const struct mlt_filter gf_filter = {
    .name = "glue",
    .connect = gf_connect,
    .helo = gf_helo,
    .envfrom = gf_envfrom,
    .envrcpt = gf_envrcpt,
    .header = gf_header,
    .body = gf_body,
    .eom = gf_eom,
    .abort = gf_abort,
    .close = gf_close,
};

struct fixture {
	struct gf g;
	struct mlt_chain_entry e;
	struct mlt_chain ch;
	struct rec rec;
};

static const char *const fx_macros[] = {
    "{daemon_name}", "smtpd", "j", "mx.example",
    "{auth_authen}", "alice", NULL};

static void
fx_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->e =
	    (struct mlt_chain_entry){&gf_filter, &f->g, MLT_ON_ERROR_TEMPFAIL};
	f->ch.v = &f->e;
	f->ch.n = 1;
	f->ch.seam = &rec_seam;
	f->rec.macros = fx_macros;
}

static const char *
smfis(int r)
{
	static const char *n[] = {"continue", "reject", "discard", "accept",
				  "tempfail"};

	return r >= 0 && r <= 4 ? n[r] : "?";
}

static void
want(int got, int exp, const char *where)
{
	if (got != exp)
		fail_msg("%s: got %s, want %s", where, smfis(got), smfis(exp));
}

static void
want_str(const char *got, const char *exp, const char *what)
{
	if (got == NULL || strcmp(got, exp) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what,
			 got ? got : "(null)", exp);
}

static void
fx_from(struct fixture *f, const char *from)
{
	char buf[64];
	char *v[] = {buf, NULL};

	snprintf(buf, sizeof(buf), "%s", from);
	want(mlt_glue_envfrom(&f->ch, &f->rec, v), SMFIS_CONTINUE, "envfrom");
}

static void
fx_end(struct fixture *f)
{
	want(mlt_glue_close(&f->ch, &f->rec), SMFIS_CONTINUE, "close");
	assert_null(f->rec.priv);
	assert_int_equal(f->g.closes, 1);
}

static void
negotiate_asks_for_leadspc_and_the_actions_the_plan_uses(void **state)
{
	struct fixture f;
	unsigned long p0, p1, p2, p3;
	struct mlt_conn *c;

	fx_init(&f);
	want(mlt_glue_negotiate(&f.ch, &f.rec, 0x1ff, 0x1fffff, &p0, &p1, &p2,
				&p3),
	     SMFIS_CONTINUE, "negotiate");
	if (p0 != (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE))
		fail_msg("actions: got %#lx, want ADDHDRS|CHGHDRS|QUARANTINE",
			 p0);
	if (p1 != (SMFIP_HDR_LEADSPC | SMFIP_NOUNKNOWN | SMFIP_NODATA))
		fail_msg("protocol: got %#lx, want LEADSPC|NOUNKNOWN|NODATA",
			 p1);
	assert_int_equal(p2, 0);
	assert_int_equal(p3, 0);
	c = f.rec.priv; /* the connection exists from negotiate on */
	assert_non_null(c);
	assert_int_equal(c->leadspc, 1);
	fx_end(&f);
}

static void
negotiate_asks_nothing_the_mta_does_not_offer(void **state)
{
	struct fixture f;
	unsigned long p0, p1, p2, p3;
	struct mlt_conn *c;

	fx_init(&f);
	want(mlt_glue_negotiate(&f.ch, &f.rec, SMFIF_ADDHDRS, 0, &p0, &p1, &p2,
				&p3),
	     SMFIS_CONTINUE, "negotiate");
	assert_int_equal(p0, SMFIF_ADDHDRS);
	assert_int_equal(p1, 0);
	c = f.rec.priv;
	assert_int_equal(c->leadspc, 0);
	/* connect finds the connection negotiate made: one close */
	want(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	assert_ptr_equal(f.rec.priv, c);
	fx_end(&f);
}

/* connect with sa; returns what the filter saw as client_addr. */
static void
connect_sees(const struct sockaddr *sa, const char *host, const char *addr,
	     const char *name)
{
	struct fixture f;

	fx_init(&f);
	want(mlt_glue_connect(&f.ch, &f.rec, host, sa), SMFIS_CONTINUE,
	     "connect");
	want_str(f.g.addr, addr, "client_addr");
	want_str(f.g.name, name, "client_name");
	want_str(f.g.daemon, "smtpd", "daemon_name ({daemon_name})");
	want_str(f.g.myhost, "mx.example", "myhostname (j)");
	fx_end(&f);
}

static void
connect_gives_each_address_family_as_text(void **state)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "192.0.2.25", &in4.sin_addr), 1);
	connect_sees((struct sockaddr *)&in4, "client.example", "192.0.2.25",
		     "client.example");
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::25", &in6.sin6_addr),
			 1);
	connect_sees((struct sockaddr *)&in6, "[2001:db8::25]", "2001:db8::25",
		     "[2001:db8::25]");
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	connect_sees((struct sockaddr *)&un, "localhost", "local", "localhost");
	/* libmilter gives NULL for "unknown" (Postfix's pickup) */
	connect_sees(NULL, NULL, "local", "");
}

static void
helo_and_envelope_reach_the_filter_without_angles(void **state)
{
	struct fixture f;
	char r[] = "<bob@example.net>", arg[] = "NOTIFY=NEVER";
	char *rv[] = {r, arg, NULL};

	fx_init(&f);
	want(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	want(mlt_glue_helo(&f.ch, &f.rec, "client.example"), SMFIS_CONTINUE,
	     "helo");
	want_str(f.g.helo, "client.example", "helo");
	fx_from(&f, "<>");
	want_str(f.g.from, "", "the null sender");
	want(mlt_glue_envrcpt(&f.ch, &f.rec, rv), SMFIS_CONTINUE, "envrcpt");
	want_str(f.g.rcpt, "bob@example.net", "recipient");
	want(mlt_glue_abort(&f.ch, &f.rec), SMFIS_CONTINUE, "abort");
	fx_end(&f);
}

/* Sends one header after a negotiate with or without LEADSPC. */
static void
header_after(struct fixture *f, unsigned long proto, const char *value)
{
	unsigned long p0, p1, p2, p3;

	fx_init(f);
	want(mlt_glue_negotiate(&f->ch, &f->rec, 0x3f, proto, &p0, &p1, &p2,
				&p3),
	     SMFIS_CONTINUE, "negotiate");
	want(mlt_glue_connect(&f->ch, &f->rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	fx_from(f, "<a@x>");
	want(mlt_glue_header(&f->ch, &f->rec, "Subject", value), SMFIS_CONTINUE,
	     "header");
}

static void
header_with_leadspc_keeps_the_exact_bytes_in_raw(void **state)
{
	struct fixture f;

	header_after(&f, SMFIP_HDR_LEADSPC, "  two spaces\n\tfolded");
	want_str(f.g.hvalue, "two spaces\n\tfolded", "value");
	want_str(f.g.hraw, "  two spaces\n\tfolded", "raw");
	want(mlt_glue_eom(&f.ch, &f.rec), SMFIS_CONTINUE, "eom");
	/* the plan writes the space after "Name:" itself */
	want_str(f.rec.ops[0], "add X-Glue:  seen", "edit");
	fx_end(&f);
}

static void
header_without_leadspc_has_no_raw(void **state)
{
	struct fixture f;

	header_after(&f, 0, "stripped by the MTA");
	want_str(f.g.hvalue, "stripped by the MTA", "value");
	assert_null(f.g.hraw);
	want(mlt_glue_eom(&f.ch, &f.rec), SMFIS_CONTINUE, "eom");
	want_str(f.rec.ops[0], "add X-Glue: seen", "edit");
	fx_end(&f);
}

static void
queue_id_given_only_at_eom_is_seen_at_eom(void **state)
{
	static const char *const late[] = {"j", "mx.example", NULL};
	static const char *const eom[] = {"i", "4QxYz", "j", "mx.example",
					  NULL};
	struct fixture f;

	fx_init(&f);
	f.rec.macros = late;
	want(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	fx_from(&f, "<a@x>");
	assert_null(f.g.queue_at_from);
	f.rec.macros = eom;
	want(mlt_glue_body(&f.ch, &f.rec, (const unsigned char *)"abc", 3),
	     SMFIS_CONTINUE, "body");
	want(mlt_glue_eom(&f.ch, &f.rec), SMFIS_CONTINUE, "eom");
	want_str(f.g.queue_at_eom, "4QxYz", "queue id at eom");
	want_str(f.g.auth, "(null)", "auth_authen, not given");
	assert_int_equal(f.g.body_len, 3);
	fx_end(&f);
}

static void
phases_without_a_connection_or_message_tempfail(void **state)
{
	struct fixture f;
	char r[] = "<b@x>";
	char *rv[] = {r, NULL};

	fx_init(&f);
	/* no connection yet (no negotiate, no connect) */
	want(mlt_glue_helo(&f.ch, &f.rec, "h"), SMFIS_TEMPFAIL, "helo");
	want(mlt_glue_envfrom(&f.ch, &f.rec, rv), SMFIS_TEMPFAIL, "envfrom");
	want(mlt_glue_abort(&f.ch, &f.rec), SMFIS_CONTINUE, "abort");
	want(mlt_glue_close(&f.ch, &f.rec), SMFIS_CONTINUE, "close");
	/* a connection, no message */
	want(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	want(mlt_glue_envrcpt(&f.ch, &f.rec, rv), SMFIS_TEMPFAIL, "envrcpt");
	want(mlt_glue_header(&f.ch, &f.rec, "A", "b"), SMFIS_TEMPFAIL,
	     "header");
	want(mlt_glue_eoh(&f.ch, &f.rec), SMFIS_TEMPFAIL, "eoh");
	want(mlt_glue_body(&f.ch, &f.rec, (const unsigned char *)"x", 1),
	     SMFIS_TEMPFAIL, "body");
	want(mlt_glue_eom(&f.ch, &f.rec), SMFIS_TEMPFAIL, "eom");
	assert_int_equal(f.g.eoms, 0);
	fx_end(&f);
}

static void
abort_ends_the_message_and_the_next_starts_clean(void **state)
{
	struct fixture f;
	struct mlt_conn *c;

	fx_init(&f);
	want(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	fx_from(&f, "<first@x>");
	want(mlt_glue_header(&f.ch, &f.rec, "Subject", "one"), SMFIS_CONTINUE,
	     "header");
	want(mlt_glue_abort(&f.ch, &f.rec), SMFIS_CONTINUE, "abort");
	c = f.rec.priv;
	assert_null(c->msg);
	assert_int_equal(f.g.aborts, 1);
	/* RSET then a second message: no header of the first is left */
	fx_from(&f, "<second@x>");
	assert_int_equal(c->msg->nheaders, 0);
	want(mlt_glue_eom(&f.ch, &f.rec), SMFIS_CONTINUE, "eom");
	assert_int_equal(f.g.eoms, 1);
	assert_int_equal(f.g.aborts, 1); /* eom is no abort */
	assert_null(c->msg);
	fx_end(&f);
}

static void
recipient_past_max_rcpts_is_refused_alone(void **state)
{
	struct fixture f;
	char r1[] = "<one@x>", r2[] = "<two@x>";
	char *v1[] = {r1, NULL}, *v2[] = {r2, NULL};
	struct mlt_conn *c;

	fx_init(&f);
	f.ch.lim.max_rcpts = 1;
	want(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	fx_from(&f, "<a@x>");
	want(mlt_glue_envrcpt(&f.ch, &f.rec, v1), SMFIS_CONTINUE, "rcpt 1");
	want(mlt_glue_envrcpt(&f.ch, &f.rec, v2), SMFIS_TEMPFAIL, "rcpt 2");
	c = f.rec.priv;
	assert_int_equal(c->msg->nrcpts, 1);
	want(mlt_glue_eom(&f.ch, &f.rec), SMFIS_CONTINUE, "eom");
	fx_end(&f);
}

static void
header_past_max_headers_tempfails_with_451(void **state)
{
	struct fixture f;

	fx_init(&f);
	f.ch.lim.max_headers = 1;
	want(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	fx_from(&f, "<a@x>");
	want(mlt_glue_header(&f.ch, &f.rec, "A", "1"), SMFIS_CONTINUE, "1st");
	want(mlt_glue_header(&f.ch, &f.rec, "B", "2"), SMFIS_TEMPFAIL, "2nd");
	assert_int_equal(f.rec.n, 1);
	want_str(f.rec.ops[0],
		 "reply 451 4.3.0 Temporary local error, try again later",
		 "reply");
	fx_end(&f);
}

static void
edit_the_mta_refuses_at_eom_tempfails_the_message(void **state)
{
	struct fixture f;
	struct mlt_conn *c;

	fx_init(&f);
	f.g.quarantine = 1;
	f.rec.fail_at = 1; /* smfi_addheader fails */
	want(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	fx_from(&f, "<a@x>");
	want(mlt_glue_eom(&f.ch, &f.rec), SMFIS_TEMPFAIL, "eom");
	/* stopped at the failing edit: no quarantine after it */
	assert_int_equal(f.rec.n, 1);
	want_str(f.rec.ops[0], "add X-Glue: seen", "the refused edit");
	c = f.rec.priv;
	assert_null(c->msg);
	fx_end(&f);
}

static void
quarantine_goes_to_the_seam_after_the_header_edits(void **state)
{
	struct fixture f;

	fx_init(&f);
	f.g.quarantine = 1;
	want(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
	     "connect");
	fx_from(&f, "<a@x>");
	want(mlt_glue_eom(&f.ch, &f.rec), SMFIS_CONTINUE, "eom");
	assert_int_equal(f.rec.n, 2);
	want_str(f.rec.ops[0], "add X-Glue: seen", "edit");
	want_str(f.rec.ops[1], "quarantine held by test", "quarantine");
	want_str(f.g.auth, "alice", "auth_authen at eom");
	fx_end(&f);
}

/* The smfiDesc of mlt_glue_use(): libmilter's view. Each callback is
 * called as libmilter would, with the recorder as the SMFICTX. */
static void
desc_callbacks_reach_the_glue_with_libmilters_arguments(void **state)
{
	struct fixture f;
	struct smfiDesc d;
	SMFICTX *h;
	unsigned long p0, p1, p2, p3;
	char from[] = "<a@x>", rcpt[] = "<b@x>", helo[] = "client.example";
	char host[] = "client.example", name[] = "Subject", val[] = " hi";
	char *fv[] = {from, NULL}, *rv[] = {rcpt, NULL};
	unsigned char body[] = "body\r\n";

	fx_init(&f);
	h = (SMFICTX *)(void *)&f.rec;
	mlt_glue_use(&f.ch, "facteur-test", &d);
	want_str(d.xxfi_name, "facteur-test", "xxfi_name");
	assert_int_equal(d.xxfi_version, SMFI_VERSION);
	assert_int_equal(d.xxfi_flags,
			 SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE);
	assert_null(d.xxfi_unknown);
	assert_null(d.xxfi_data);
	want(d.xxfi_negotiate(h, 0x3f, SMFIP_HDR_LEADSPC, 0, 0, &p0, &p1, &p2,
			      &p3),
	     SMFIS_CONTINUE, "xxfi_negotiate");
	assert_int_equal(p1, SMFIP_HDR_LEADSPC);
	want(d.xxfi_connect(h, host, NULL), SMFIS_CONTINUE, "xxfi_connect");
	want_str(f.g.name, "client.example", "client_name");
	want(d.xxfi_helo(h, helo), SMFIS_CONTINUE, "xxfi_helo");
	want(d.xxfi_envfrom(h, fv), SMFIS_CONTINUE, "xxfi_envfrom");
	want(d.xxfi_envrcpt(h, rv), SMFIS_CONTINUE, "xxfi_envrcpt");
	want(d.xxfi_header(h, name, val), SMFIS_CONTINUE, "xxfi_header");
	want_str(f.g.hraw, " hi", "raw header value");
	want(d.xxfi_eoh(h), SMFIS_CONTINUE, "xxfi_eoh");
	want(d.xxfi_body(h, body, 6), SMFIS_CONTINUE, "xxfi_body");
	want(d.xxfi_eom(h), SMFIS_CONTINUE, "xxfi_eom");
	assert_int_equal(f.g.eoms, 1);
	assert_int_equal(f.g.body_len, 6);
	want(d.xxfi_envfrom(h, fv), SMFIS_CONTINUE, "xxfi_envfrom 2");
	want(d.xxfi_abort(h), SMFIS_CONTINUE, "xxfi_abort");
	assert_int_equal(f.g.aborts, 1);
	want(d.xxfi_close(h), SMFIS_CONTINUE, "xxfi_close");
	assert_null(f.rec.priv);
	assert_int_equal(f.g.closes, 1);
}

/* After smfi_main() returned: nothing new starts, a message under way
 * that libmilter still hands over is finished, and the drain counts what
 * is left. Runs last: the stop is for good. */
static void
drain_refuses_new_messages_and_counts_what_is_left(void **state)
{
	struct fixture f;
	struct smfiDesc d;
	struct rec other;
	SMFICTX *h, *h2;
	unsigned long p0, p1, p2, p3;
	char from[] = "<a@x>", host[] = "client.example";
	char *fv[] = {from, NULL};
	size_t conns, msgs;
	int calls;

	fx_init(&f);
	memset(&other, 0, sizeof(other));
	other.macros = fx_macros;
	h = (SMFICTX *)(void *)&f.rec;
	h2 = (SMFICTX *)(void *)&other;
	mlt_glue_use(&f.ch, "facteur-test", &d);
	want(d.xxfi_negotiate(h, 0x3f, 0, 0, 0, &p0, &p1, &p2, &p3),
	     SMFIS_CONTINUE, "negotiate");
	want(d.xxfi_connect(h, host, NULL), SMFIS_CONTINUE, "connect");
	want(d.xxfi_envfrom(h, fv), SMFIS_CONTINUE, "envfrom");
	calls = mlt_glue_drain(60, &msgs, &conns);
	if (calls != 0 || msgs != 1 || conns != 1)
		fail_msg("drain with a message under way: got %d calls, %zu "
			 "messages, %zu open, want 0, 1, 1",
			 calls, msgs, conns);
	/* a connection accepted before the stop: no filter sees it */
	want(d.xxfi_negotiate(h2, 0x3f, 0, 0, 0, &p0, &p1, &p2, &p3),
	     SMFIS_CONTINUE, "negotiate 2");
	f.g.name = NULL;
	want(d.xxfi_connect(h2, host, NULL), SMFIS_TEMPFAIL, "connect 2");
	assert_null(f.g.name);
	/* the message under way ends normally */
	want(d.xxfi_eom(h), SMFIS_CONTINUE, "eom");
	assert_int_equal(f.g.eoms, 1);
	calls = mlt_glue_drain(60, &msgs, &conns);
	if (calls != 0 || msgs != 0 || conns != 2)
		fail_msg("drain, message done: got %d calls, %zu messages, %zu "
			 "open, want 0, 0, 2",
			 calls, msgs, conns);
	/* and no next one */
	f.g.from = NULL;
	want(d.xxfi_envfrom(h, fv), SMFIS_TEMPFAIL, "envfrom after the stop");
	assert_null(f.g.from);
	want(d.xxfi_close(h), SMFIS_CONTINUE, "close");
	want(d.xxfi_close(h2), SMFIS_CONTINUE, "close 2");
	calls = mlt_glue_drain(0, &msgs, &conns);
	if (calls != 0 || msgs != 0 || conns != 0)
		fail_msg("drain, all closed: got %d calls, %zu messages, %zu "
			 "open, want 0, 0, 0",
			 calls, msgs, conns);
	assert_int_equal(f.g.closes, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		negotiate_asks_for_leadspc_and_the_actions_the_plan_uses),
	    cmocka_unit_test(negotiate_asks_nothing_the_mta_does_not_offer),
	    cmocka_unit_test(connect_gives_each_address_family_as_text),
	    cmocka_unit_test(helo_and_envelope_reach_the_filter_without_angles),
	    cmocka_unit_test(header_with_leadspc_keeps_the_exact_bytes_in_raw),
	    cmocka_unit_test(header_without_leadspc_has_no_raw),
	    cmocka_unit_test(queue_id_given_only_at_eom_is_seen_at_eom),
	    cmocka_unit_test(phases_without_a_connection_or_message_tempfail),
	    cmocka_unit_test(abort_ends_the_message_and_the_next_starts_clean),
	    cmocka_unit_test(recipient_past_max_rcpts_is_refused_alone),
	    cmocka_unit_test(header_past_max_headers_tempfails_with_451),
	    cmocka_unit_test(edit_the_mta_refuses_at_eom_tempfails_the_message),
	    cmocka_unit_test(
		quarantine_goes_to_the_seam_after_the_header_edits),
	    cmocka_unit_test(
		desc_callbacks_reach_the_glue_with_libmilters_arguments),
	    cmocka_unit_test(
		drain_refuses_new_messages_and_counts_what_is_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
