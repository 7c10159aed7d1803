/* lib/spam/autolearn.h - whether a scored message should train the
 * Bayes classifier by itself, with SpamAssassin's rules
 * (Mail::SpamAssassin::Plugin::AutoLearnThreshold and
 * PerMsgStatus::_get_autolearn_points). Pure: no I/O, no state. */
#ifndef FACTEUR_SPAM_AUTOLEARN_H
#define FACTEUR_SPAM_AUTOLEARN_H

#include <stddef.h>

#include "rules.h"

/* What X-Spam-Status says after autolearn=. 0 is "no", so a result that
 * nobody trained reads as SpamAssassin's default. */
enum sp_autolearn {
	SP_AL_NO = 0,	   /* not asked, not wanted, or already learned */
	SP_AL_SPAM,	   /* learned as spam */
	SP_AL_HAM,	   /* learned as ham */
	SP_AL_UNAVAILABLE, /* auto-learn asked for, but Bayes is off */
	SP_AL_FAILED,	   /* wanted, but the store was busy or failed */
};

/* One rule that hit, as the decision sees it. */
struct sp_al_hit {
	enum sp_rtype type;
	unsigned tflags;    /* SP_TF_* */
	double score;	    /* in the score set without Bayes (set & ~2) */
	double learn_score; /* in the set that scored the message */
	unsigned head_deps; /* meta only: how many of its rules are */
	unsigned body_deps; /* header / body(rawbody, uri) rules */
};

struct sp_al_points {
	double points;	/* sum of counted scores, to 3 decimals */
	double head;	/* of which header rules */
	double body;	/* of which body, rawbody and uri rules */
	double learned; /* sum of learn-flag (BAYES_*) scores */
};

struct sp_al_thresholds {
	double spam;	/* bayes_auto_learn_threshold_spam, 12.0 */
	double nonspam; /* bayes_auto_learn_threshold_nonspam, 0.1 */
};

/* Sums the points of hits[0..n): BAYES_* and learn rules go to
 * `learned` only, noautolearn rules nowhere, rules scoring 0 without
 * Bayes nowhere; a meta's score is split between head and body by its
 * rules' types. */
void sp_al_points(const struct sp_al_hit *hits, size_t n,
		  struct sp_al_points *out);

/* The class to learn: 1 spam, 0 ham, -1 none. Spam: points >= t->spam,
 * >= 3 head and >= 3 body points, learned >= -1, and the message is spam
 * (is_spam). Ham: points < t->nonspam, learned <= 1 and not spam. */
int sp_al_decide(const struct sp_al_points *p, int is_spam,
		 const struct sp_al_thresholds *t);

/* "spam", "ham", "no", "unavailable", "failed". */
const char *sp_al_name(enum sp_autolearn a);

#endif
