/* lib/spam/re_limits.h - the PCRE2 limits every match over message text
 * runs under (200,000 steps, depth 5,000; match.c's matcher and
 * match_rev.c's budget use the same numbers), so a pattern of the
 * rules or of Received.pm's port, given a sender's text made for it,
 * costs at most about a millisecond instead of PCRE2's default 10 million
 * steps. A match that hits a limit is no match. sp_re_limits() is the
 * context to pass to pcre2_match(): one per translation unit, made once
 * (pthread_once), read-only afterwards; NULL (PCRE2's defaults) only if
 * it could not be allocated. */
#ifndef FACTEUR_SPAM_RE_LIMITS_H
#define FACTEUR_SPAM_RE_LIMITS_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <pthread.h>

#define SP_RE_MATCH_LIMIT 200000
#define SP_RE_DEPTH_LIMIT 5000

static pcre2_match_context *sp_re_limits_ctx;
static pthread_once_t sp_re_limits_once = PTHREAD_ONCE_INIT;

static void
sp_re_limits_make(void)
{
	if ((sp_re_limits_ctx = pcre2_match_context_create(NULL)) == NULL)
		return;
	pcre2_set_match_limit(sp_re_limits_ctx, SP_RE_MATCH_LIMIT);
	pcre2_set_depth_limit(sp_re_limits_ctx, SP_RE_DEPTH_LIMIT);
}

static inline pcre2_match_context *
sp_re_limits(void)
{
	pthread_once(&sp_re_limits_once, sp_re_limits_make);
	return sp_re_limits_ctx;
}

#endif
