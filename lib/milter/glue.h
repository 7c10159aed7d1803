/* lib/milter/glue.h - libmilter callbacks: translate, delegate to the
 * runner, answer.
 *
 * Each mlt_glue_* takes the chain and the libmilter handle explicitly and
 * returns an SMFIS_* value, so unit tests drive them with a recorder seam
 * and a fake handle. mlt_glue_desc() fills the struct smfiDesc whose xxfi_
 * callbacks call them with the chain given to mlt_glue_use(). */
#ifndef FACTEUR_LIB_MILTER_GLUE_H
#define FACTEUR_LIB_MILTER_GLUE_H

#include <stddef.h>
#include <sys/socket.h>

#include "runner.h"

struct smfiDesc;

/* Protocol negotiation: asks for SMFIP_HDR_LEADSPC when the MTA offers
 * it (header values then arrive exact, and the plan writes the space
 * after "Name:" itself), the header actions we use, and skips the DATA
 * and unknown-command events we have no callback for. Creates the
 * connection state early to remember it. Returns SMFIS_CONTINUE. */
int mlt_glue_negotiate(const struct mlt_chain *ch, void *h, unsigned long f0,
		       unsigned long f1, unsigned long *pf0, unsigned long *pf1,
		       unsigned long *pf2, unsigned long *pf3);
int mlt_glue_connect(const struct mlt_chain *ch, void *h, const char *hostname,
		     const struct sockaddr *sa);
int mlt_glue_helo(const struct mlt_chain *ch, void *h, const char *helo);
int mlt_glue_envfrom(const struct mlt_chain *ch, void *h, char **argv);
int mlt_glue_envrcpt(const struct mlt_chain *ch, void *h, char **argv);
int mlt_glue_header(const struct mlt_chain *ch, void *h, const char *name,
		    const char *value);
int mlt_glue_eoh(const struct mlt_chain *ch, void *h);
int mlt_glue_body(const struct mlt_chain *ch, void *h, const unsigned char *p,
		  size_t len);
int mlt_glue_eom(const struct mlt_chain *ch, void *h);
int mlt_glue_abort(const struct mlt_chain *ch, void *h);
int mlt_glue_close(const struct mlt_chain *ch, void *h);

/* After smfi_main() returned. libmilter does not wait for its
 * connections, and Debian's (built with its workers pool) serves none
 * once a stop was asked for: a message under way then gets no answer
 * (docs/milter-engines.md). From now on the xxfi_ callbacks answer
 * tempfail to a new connect, HELO or MAIL without calling the filters.
 * Waits up to wait_ms for no callback to be running; returns how many
 * still run, with *msgs the connections inside a message and *conns
 * those still open: unless all three are 0 a callback may still reach
 * the filters, and the caller must keep their state. xxfi_ path only. */
int mlt_glue_drain(long long wait_ms, size_t *msgs, size_t *conns);

/* Sets the chain the real xxfi_ callbacks use (once, before smfi_main;
 * borrowed forever) and fills desc with name and callbacks. */
void mlt_glue_use(const struct mlt_chain *ch, const char *name,
		  struct smfiDesc *desc);

#endif
