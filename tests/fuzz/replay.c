/* tests/fuzz/replay.c - runs a libFuzzer target over files without
 * libFuzzer, so the corpus (seeds and every crasher found so far) replays
 * as an ordinary test under ASan+UBSan with any compiler.
 *
 * Usage: fuzz-replay-NAME FILE|DIR...  (a directory: its regular files,
 * not recursive). Each input is copied into a buffer of exactly its size so
 * that ASan catches a read one byte past the end. Fails if no input ran. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT ((size_t)16 << 20)

static int
replay_file(const char *path)
{
	unsigned char *data;
	size_t n = 0, got;
	struct stat st;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) != 0) {
		perror(path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if (st.st_size < 0 || (size_t)st.st_size > REPLAY_MAX_INPUT) {
		fprintf(stderr, "%s: too large\n", path);
		fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	if ((data = malloc(n ? n : 1)) == NULL) {
		fclose(f);
		return -1;
	}
	got = fread(data, 1, n, f);
	fclose(f);
	if (got != n) {
		fprintf(stderr, "%s: short read\n", path);
		free(data);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

static int
replay_dir(const char *dir, size_t *count)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(path) != 0)
			rc = -1;
		else
			(*count)++;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t count = 0;
	struct stat st;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) != 0)
				rc = 1;
		} else if (replay_file(argv[i]) != 0)
			rc = 1;
		else
			count++;
	}
	printf("replayed %zu input(s)\n", count);
	if (count == 0) {
		fprintf(stderr, "no input replayed\n");
		return 1;
	}
	return rc;
}
