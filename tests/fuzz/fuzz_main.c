// SPDX-License-Identifier: MIT
/*
 * A stand-alone driver for fuzz_hvc.c without libFuzzer: the gcc build
 * that `make coverage` measures, and a way to run inputs under any
 * compiler. It runs every file named (directories: every file in them)
 * once, then mutates those inputs at random (seeded) until -t seconds
 * (in all, the corpus included) or -n runs have passed, and prints runs
 * and runs per second.
 *
 *   fuzz-driver [-t seconds] [-n runs] [-s seed] [-q] path...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LEN 4096

struct input {
	uint8_t *data;
	size_t len;
};
static struct input *inputs;
static size_t ninputs, cap;

static void add_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct input in;

	if (!f) {
		perror(path);
		exit(2);
	}
	in.data = malloc(MAX_LEN);
	if (!in.data)
		abort();
	in.len = fread(in.data, 1, MAX_LEN, f);
	fclose(f);
	if (ninputs == cap) {
		cap = cap ? 2 * cap : 64;
		inputs = realloc(inputs, cap * sizeof(*inputs));
		if (!inputs)
			abort();
	}
	inputs[ninputs++] = in;
}

static void add_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char buf[4096];

	if (stat(path, &st)) {
		perror(path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "%s/%s", path, e->d_name);
		if (!stat(buf, &st) && S_ISREG(st.st_mode))
			add_file(buf);
	}
	closedir(d);
}

static uint64_t rng = 1;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A few byte-level mutations of a corpus input (or of random bytes). */
static size_t mutate(uint8_t *buf)
{
	size_t len;

	if (ninputs && next() % 8) {
		const struct input *in = &inputs[next() % ninputs];

		memcpy(buf, in->data, in->len);
		len = in->len;
	} else {
		len = 1 + next() % 256;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)next();
	}
	for (int k = 1 + next() % 4; k > 0; k--) {
		size_t at = len ? next() % len : 0;

		switch (next() % 5) {
		case 0:
			if (len)
				buf[at] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:
			if (len)
				buf[at] = (uint8_t)next();
			break;
		case 2: /* insert a byte */
			if (len < MAX_LEN) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = (uint8_t)next();
				len++;
			}
			break;
		case 3: /* truncate */
			len = at;
			break;
		default: /* append random bytes */
			for (int i = next() % 16; i > 0 && len < MAX_LEN; i--)
				buf[len++] = (uint8_t)next();
			break;
		}
	}
	return len;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = 0, t0;
	unsigned long long runs = 0, max_runs = 0;
	static uint8_t buf[MAX_LEN];
	int quiet = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			max_runs = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 0) | 1;
		else if (!strcmp(argv[i], "-q"))
			quiet = 1;
		else
			add_path(argv[i]);
	}
	LLVMFuzzerInitialize(&argc, &argv);
	t0 = now();
	/* -t bounds everything: the corpus first, then mutations. */
	for (size_t i = 0; i < ninputs; i++, runs++) {
		if (secs > 0 && now() - t0 >= secs)
			break;
		LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].len);
	}
	/* Mutate until the first of the two limits (none given: no mutants). */
	while ((secs > 0 || max_runs) && !(secs > 0 && now() - t0 >= secs) &&
	       !(max_runs && runs >= max_runs)) {
		size_t len = mutate(buf);

		LLVMFuzzerTestOneInput(buf, len);
		runs++;
	}
	if (!quiet) {
		double dt = now() - t0;

		printf("fuzz-driver: %llu runs (%zu corpus inputs) in %.1f s, "
		       "%.0f runs/s\n",
		       runs, ninputs, dt, dt > 0 ? runs / dt : 0.0);
	}
	return 0;
}
