/* admin/spam.c - "facteur spam VERB": the dispatcher of the spam noun.
 * learn, forget and stats live in spam_learn.c (the Bayes classifier of
 * facteur-spam); check and rules come with the rule engine.
 *
 * SECURITY: see each verb's file. */
#include "admin.h"

static const char spam_usage[] =
    "usage: facteur spam learn --spam|--ham [--bayes PATH] PATH...\n"
    "       facteur spam forget [--bayes PATH] PATH...\n"
    "       facteur spam stats [--bayes PATH] [--json]\n"
    "\n"
    "Trains and inspects facteur-spam's Bayes classifier. PATH is a\n"
    "message file, a Maildir folder, a directory of messages or an mbox.\n"
    "The Bayes file defaults to bayes.sqlite next to the database.\n";

int
spam_main(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
	    {"learn", spam_learn_main},
	    {"forget", spam_forget_main},
	    {"stats", spam_stats_main},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
	    spam_usage, argc, argv);
}
