/* lib/anonfile.h - a file with no name, for bodies spooled past a
 * memory threshold (facteur-lmtp's DATA, the milters' kept bodies).
 *
 * SECURITY: mode 0600, O_NOFOLLOW and O_EXCL on the fallback name, which
 * is unlinked at once: nothing of the message is left under a name. */
#ifndef FACTEUR_ANONFILE_H
#define FACTEUR_ANONFILE_H

/* A new read-write file in directory dirfd: O_TMPFILE, else (a file
 * system without it) a unique name "<prefix>.<pid>.<n>" unlinked at
 * once. The fd (close-on-exec), or -1 with errno. */
int anonfile_open(int dirfd, const char *prefix);

#endif
