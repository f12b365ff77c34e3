// SPDX-License-Identifier: MIT
/*
 * driver.c - run a libFuzzer target over its seed corpus without libFuzzer
 *
 * Each argument is a file or a directory of files; every file is passed to
 * LLVMFuzzerTestOneInput() once. Used for the plain (gcc, ASan) test runs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	static uint8_t buf[1 << 20];
	ssize_t n;
	uint8_t *copy;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* An exact-size heap copy lets ASan catch any read past the end. */
	copy = malloc(n ? (size_t)n : 1);
	if (!copy)
		return -1;
	memcpy(copy, buf, (size_t)n);
	LLVMFuzzerTestOneInput(copy, (size_t)n);
	free(copy);
	return 0;
}

static int run_path(const char *path, unsigned int *count)
{
	struct dirent *de;
	struct stat st;
	char sub[4096];
	DIR *d;
	int err = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (run_path(sub, count) < 0)
			err = -1;
	}
	closedir(d);
	return err;
}

int main(int argc, char **argv)
{
	unsigned int count = 0;
	int err = 0;

	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count) < 0)
			err = 1;
	printf("driver: %u inputs run\n", count);
	if (!count) {
		fprintf(stderr, "driver: empty corpus\n");
		return 1;
	}
	return err;
}
