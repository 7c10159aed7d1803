/* lib/milter/seam.h - the one place facteur calls smfi_*.
 *
 * Everything the glue and the plan need from libmilter goes through a
 * struct mlt_seam, so unit tests replace it with a recorder. handle is the
 * SMFICTX * (opaque here). Functions return 0 or -1, like MI_SUCCESS and
 * MI_FAILURE. Strings passed in are borrowed for the call only. */
#ifndef FACTEUR_LIB_MILTER_SEAM_H
#define FACTEUR_LIB_MILTER_SEAM_H

struct mlt_seam {
	int (*addheader)(void *handle, const char *name, const char *value);
	int (*insheader)(void *handle, int pos, const char *name,
			 const char *value);
	/* value NULL deletes the index-th header of that name */
	int (*chgheader)(void *handle, const char *name, int index,
			 const char *value);
	/* text already %-escaped (see mlt_reply_escape) */
	int (*setreply)(void *handle, const char *code, const char *xcode,
			const char *text);
	/* borrowed until the callback returns; NULL if unset */
	const char *(*getsymval)(void *handle, const char *name);
	int (*setpriv)(void *handle, void *priv);
	void *(*getpriv)(void *handle);
	/* smfi_quarantine: Postfix puts the message on hold (eom only) */
	int (*quarantine)(void *handle, const char *reason);
	/* 1: every thread that serves a connection is joined before the
	 * process exits (the native engine's pooled workers), so state a
	 * library keeps per thread is freed by its thread-exit destructor
	 * in time; 0 (libmilter): a filter frees it at close */
	int threads_joined;
};

/* The real one, over libmilter. */
extern const struct mlt_seam mlt_seam_libmilter;

#endif
