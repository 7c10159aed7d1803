/* tests/fuzz/fuzz_maildir_name.c - the Maildir name builders of
 * delivery/maildir_name.c on arbitrary bytes: the input is used as a
 * folder name, a hostname and a database path. An accepted folder name
 * must produce one path component (".x", no '/', printable ASCII only),
 * a built file name must not contain '/' and must end in the sizes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../delivery/maildir_name.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Absolute, or a component that is exactly "." or "..". */
static int
bad_path(const char *s)
{
	const char *c = s;

	if (*s == '/')
		return 1;
	for (;;) {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
			return 1;
		if (c[n] == '\0')
			return 0;
		c += n + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct maildir_uniq u = {1, 2, 3, 4, NULL};
	struct buf b;
	char *s;
	size_t i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	buf_init(&b, 4096);
	if (maildir_folder_dir(s, &b) == 0 && b.len > 0) {
		if (b.data[0] != '.' || b.len < 2 || b.len > 256)
			__builtin_trap();
		for (i = 0; i < b.len; i++)
			if (b.data[i] == '/' ||
			    (unsigned char)b.data[i] < 0x20 ||
			    (unsigned char)b.data[i] > 0x7e)
				__builtin_trap();
		if (strcmp(b.data, ".") == 0 || strcmp(b.data, "..") == 0)
			__builtin_trap();
	}
	buf_reset(&b);
	u.host = s;
	if (maildir_basename(&u, size, size * 2, &b) == 0 &&
	    memchr(b.data, '/', b.len) != NULL)
		__builtin_trap();
	if (maildir_path_ok(s) == 0 && bad_path(s))
		__builtin_trap();
	(void)maildir_vsize(data, size, 0);
	buf_free(&b);
	free(s);
	return 0;
}
