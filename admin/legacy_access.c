/* admin/legacy_access.c - import-legacy for the two blacklist tables:
 * postfix_liste_noire_expediteurs(courriel, code_retour, message, active)
 * and postfix_liste_noire_destinataires(courriel, action, active).
 *
 * code_retour / action hold what a Postfix access(5) table would: an SMTP
 * code ("554", "554 5.7.1 text") or an action word ("REJECT", "REJECT
 * text", "OK", "DISCARD", "HOLD"). A reply text goes on the SMTP wire, so
 * it must be one line of ASCII; --transliterate fixes accents. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "legacy.h"
#include "log.h"
#include "store.h"

struct lg_reply {
	const char *action; /* REJECT, OK, DISCARD, HOLD */
	int code;	    /* 0 unless REJECT */
	char enhanced[16];
	struct buf text;
	struct buf change; /* the transliteration, printed once imported */
};

/* Copies s for display: control bytes become '?'. */
static const char *
lg_show(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < outlen; i++)
		out[i] =
		    ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	out[i] = '\0';
	return out;
}

/* Length of an enhanced code "c.sss.ddd" at the start of s, or 0. */
static size_t
lg_enhanced_len(const char *s)
{
	size_t i = 1, n;
	int part;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	for (part = 0; part < 2; part++) {
		if (s[i++] != '.')
			return 0;
		for (n = 0; s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (n < 1 || n > 3)
			return 0;
	}
	return (s[i] == '\0' || s[i] == ' ') ? i : 0;
}

/* Takes a leading enhanced code off *text into r (if r has none). */
static void
lg_take_enhanced(struct lg_reply *r, const char **text)
{
	size_t n = lg_enhanced_len(*text);

	if (n == 0 || n >= sizeof(r->enhanced) || r->enhanced[0] != '\0')
		return;
	memcpy(r->enhanced, *text, n);
	r->enhanced[n] = '\0';
	*text += n;
	while (**text == ' ')
		(*text)++;
}

/* Parses an access(5) result into r; -1 (listed as invalid) if unusable. */
static int
lg_parse_result(struct lg *g, const char *field, const char *s, int recipient_,
		struct lg_reply *r)
{
	static const char *const words[] = {"REJECT", "OK", "DISCARD", "HOLD"};
	char err[512];
	size_t n, i, nwords = recipient_ ? 4 : 2;
	const char *rest;

	r->action = "REJECT";
	r->code = 554;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, " \t");
	rest = s + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (n == 0) {
		lg_note(g, "%s: empty; using REJECT 554", field);
	} else if (s[0] >= '0' && s[0] <= '9') {
		char code[8];

		snprintf(code, sizeof(code), "%.*s", (int)(n < 7 ? n : 7), s);
		if (chk_smtp_code(code, &r->code, err, sizeof(err)) < 0) {
			lg_invalid(g, "%s: %s", field, err);
			return -1;
		}
	} else {
		for (i = 0; i < nwords; i++)
			if (strlen(words[i]) == n &&
			    strncasecmp(s, words[i], n) == 0)
				break;
		if (i == nwords) {
			lg_invalid(g,
				   "%s: '%.*s' is not an SMTP code nor one "
				   "of %s",
				   field, (int)n, s,
				   recipient_ ? "REJECT, OK, DISCARD, HOLD"
					      : "REJECT, OK");
			return -1;
		}
		r->action = words[i];
		if (i != 0)
			r->code = 0;
	}
	if (r->code != 0)
		lg_take_enhanced(r, &rest);
	return buf_adds(&r->text, rest) < 0 ? -1 : 0;
}

/* Checks (and with --transliterate, fixes) the reply text. */
static int
lg_text(struct lg *g, const char *field, struct lg_reply *r)
{
	char err[512], key[256], old[512], nw[512];
	struct buf t;
	int n;

	if (chk_reply_text(field, buf_str(&r->text), err, sizeof(err)) == 0)
		return 0;
	if (g->translit) {
		buf_init(&t, 4096);
		if ((n = chk_transliterate(buf_str(&r->text), &t)) > 0) {
			if (buf_printf(
				&r->change, "%s %s: %s: '%s' -> '%s'\n",
				g->table,
				log_safe(g->key, strlen(g->key), key,
					 sizeof(key)),
				field,
				lg_show(buf_str(&r->text), old, sizeof(old)),
				lg_show(buf_str(&t), nw, sizeof(nw))) < 0)
				n = -1;
			buf_reset(&r->text);
			if (buf_adds(&r->text, buf_str(&t)) < 0)
				n = -1;
		}
		buf_free(&t);
		if (n > 0 && chk_reply_text(field, buf_str(&r->text), err,
					    sizeof(err)) == 0)
			return 0;
	}
	lg_invalid(g, "%s%s", err,
		   g->translit ? "" : " (--transliterate can fix accents)");
	return -1;
}

/* Checks the enhanced code against the code and adds the row. */
static enum lg_res
lg_access_add(struct lg *g, int recipient_, const char *pattern,
	      const char *kind, struct lg_reply *r, int active)
{
	struct store_errbuf err = {{0}};
	char msg[512];

	if (r->enhanced[0] &&
	    chk_enhanced(r->enhanced, r->code, msg, sizeof(msg)) < 0)
		return lg_invalid(g, "%s", msg);
	return lg_store(g,
			store_access_add(g->a->store, recipient_, pattern, kind,
					 r->action, r->code, r->enhanced,
					 buf_str(&r->text), active, &err),
			&err);
}

static enum lg_res
lg_access_row(struct lg *g, int recipient_, const char *courriel,
	      const char *result, const char *message, const char *active_s)
{
	struct lg_reply r;
	struct buf pat;
	const char *kind = "address", *field;
	char msg[512];
	enum lg_res res = LG_INVALID;
	int active;

	memset(&r, 0, sizeof(r));
	buf_init(&r.text, 4096);
	buf_init(&r.change, 4096);
	buf_init(&pat, 1024);
	field = recipient_ ? "action" : "code_retour";
	if (lg_empty(courriel)) {
		res = lg_invalid(g, "courriel: empty");
		goto out;
	}
	if (chk_pattern("courriel", courriel, !recipient_, &pat, &kind, msg,
			sizeof(msg)) < 0) {
		res = lg_invalid(g, "%s", msg);
		goto out;
	}
	if (lg_active(g, active_s, &active) < 0 ||
	    lg_parse_result(g, field, result ? result : "", recipient_, &r) < 0)
		goto out;
	if (!lg_empty(message)) {
		if (r.text.len > 0) {
			res = lg_invalid(g, "both code_retour and message "
					    "carry a reply text");
			goto out;
		}
		if (r.code != 0)
			lg_take_enhanced(&r, &message);
		if (buf_adds(&r.text, message) < 0)
			goto out;
		field = "message";
	}
	if (lg_text(g, field, &r) < 0)
		goto out;
	res = lg_access_add(g, recipient_, pat.data, kind, &r, active);
	if (res == LG_NEW)
		fputs(buf_str(&r.change), stdout);
out:
	buf_free(&r.change);
	buf_free(&r.text);
	buf_free(&pat);
	return res;
}

enum lg_res
lg_sender(struct lg *g, const char *const *v)
{
	return lg_access_row(g, 0, v[0], v[1], v[2], v[3]);
}

enum lg_res
lg_recipient(struct lg *g, const char *const *v)
{
	return lg_access_row(g, 1, v[0], v[1], NULL, v[2]);
}
