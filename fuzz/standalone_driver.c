/*
 * standalone_driver.c - replay fuzz corpora without libFuzzer.
 *
 * Linked with a fuzz target instead of libFuzzer, so gcc and sanitizer
 * builds run every corpus input through LLVMFuzzerTestOneInput as part of
 * `make test`. Arguments are files or directories (read one level deep).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int driver_run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long size;

	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		fprintf(stderr, "cannot size %s\n", path);
		return -1;
	}
	/* +1 so an empty file still gets a valid pointer. */
	data = malloc((size_t)size + 1);
	if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
		free(data);
		fclose(f);
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, error = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *dir;
		struct dirent *ent;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "no such corpus: %s\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			error |= driver_run_file(argv[i]);
			count++;
			continue;
		}
		dir = opendir(argv[i]);
		if (!dir)
			return 1;
		while ((ent = readdir(dir)) != NULL) {
			char path[4096];

			if (ent->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], ent->d_name);
			error |= driver_run_file(path);
			count++;
		}
		closedir(dir);
	}
	printf("replayed %zu inputs\n", count);
	return error ? 1 : 0;
}
