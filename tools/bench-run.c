/*
 * bench-run - run a command N times and print, as one JSON line, the median
 * and minimum wall time and the median peak RSS of the child:
 *   bench-run NAME N COMMAND [ARGS...]
 *   {"name":"floor","runs":21,"median_ms":15.2,"min_ms":14.8,"rss_kib":3120,"failures":0}
 * A run whose exit status is not 0 counts as a failure (its time still counts);
 * set BENCH_STATUS=N to expect another status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n, failures = 0, want = 0;
	double *ms;
	long *rss;

	if (argc < 4 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: bench-run NAME N COMMAND [ARGS...]\n");
		return 2;
	}
	if (getenv("BENCH_STATUS"))
		want = atoi(getenv("BENCH_STATUS"));
	ms = calloc((size_t)n, sizeof(*ms));
	rss = calloc((size_t)n, sizeof(*rss));
	if (!ms || !rss)
		return 1;
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;
		struct rusage ru;
		int status;
		pid_t pid;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, 0);
			dup2(null, 1);
			if (!getenv("BENCH_STDERR"))
				dup2(null, 2);
			execvp(argv[3], argv + 3);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
			perror("bench-run");
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		rss[i] = ru.ru_maxrss;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != want)
			failures++;
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	qsort(rss, (size_t)n, sizeof(*rss), cmp_long);
	printf("{\"name\":\"%s\",\"runs\":%d,\"median_ms\":%.3f,\"min_ms\":%.3f,\"rss_kib\":%ld,"
	       "\"failures\":%d}\n", argv[1], n, ms[n / 2], ms[0], rss[n / 2], failures);
	free(ms);
	free(rss);
	return failures ? 1 : 0;
}
