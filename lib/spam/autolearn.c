/* lib/spam/autolearn.c - the auto-learn decision; see autolearn.h.
 * SpamAssassin counts points in the score set without Bayes so that what
 * Bayes already believes cannot teach Bayes (a feedback loop), and asks
 * for 3 points from each of headers and body so one kind of rule alone
 * never trains it. */
#include "autolearn.h"

#include <math.h>

#define AL_MIN_HEAD 3.0
#define AL_MIN_BODY 3.0
#define AL_LEARNER_HAM -1.0 /* learn-rule points below: Bayes says ham */
#define AL_LEARNER_SPAM 1.0 /* above: Bayes says spam */

static double
al_round3(double x)
{
	return round(x * 1000.0) / 1000.0;
}

static int
al_is_head(enum sp_rtype t)
{
	return t == SP_R_HEADER;
}

static int
al_is_body(enum sp_rtype t)
{
	return t == SP_R_BODY || t == SP_R_RAWBODY || t == SP_R_URI;
}

void
sp_al_points(const struct sp_al_hit *hits, size_t n, struct sp_al_points *out)
{
	size_t i;

	out->points = out->head = out->body = out->learned = 0;
	for (i = 0; i < n; i++) {
		const struct sp_al_hit *h = &hits[i];
		unsigned deps;

		if (h->tflags & SP_TF_NOAUTOLEARN)
			continue;
		if ((h->tflags & SP_TF_LEARN) || h->type == SP_R_BAYES) {
			out->learned += h->learn_score;
			continue;
		}
		if (h->score == 0)
			continue;
		if (al_is_head(h->type))
			out->head += h->score;
		else if (al_is_body(h->type))
			out->body += h->score;
		else if (h->type == SP_R_META &&
			 (deps = h->head_deps + h->body_deps) > 0) {
			out->head += al_round3(h->score * h->head_deps / deps);
			out->body += al_round3(h->score * h->body_deps / deps);
		}
		out->points += h->score;
	}
	out->points = al_round3(out->points);
}

int
sp_al_decide(const struct sp_al_points *p, int is_spam,
	     const struct sp_al_thresholds *t)
{
	if (p->points < t->nonspam)
		return p->learned <= AL_LEARNER_SPAM && !is_spam ? 0 : -1;
	if (p->points < t->spam)
		return -1;
	if (p->body < AL_MIN_BODY || p->head < AL_MIN_HEAD ||
	    p->learned < AL_LEARNER_HAM || !is_spam)
		return -1;
	return 1;
}

const char *
sp_al_name(enum sp_autolearn a)
{
	switch (a) {
	case SP_AL_SPAM:
		return "spam";
	case SP_AL_HAM:
		return "ham";
	case SP_AL_UNAVAILABLE:
		return "unavailable";
	case SP_AL_FAILED:
		return "failed";
	case SP_AL_NO:
		break;
	}
	return "no";
}
