/* lib/anonfile.c - see anonfile.h. */
#include "anonfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static atomic_uint anonfile_seq;

int
anonfile_open(int dirfd, const char *prefix)
{
	char name[128];
	int fd, tries;

	fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 ||
	    (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	for (tries = 0; tries < 10; tries++) {
		snprintf(name, sizeof(name), "%s.%ld.%u", prefix,
			 (long)getpid(), atomic_fetch_add(&anonfile_seq, 1));
		fd = openat(dirfd, name,
			    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd >= 0) {
			(void)unlinkat(dirfd, name, 0);
			return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}
