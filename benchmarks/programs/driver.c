/* Native driver: times `run(n)` in-process, `reps` times, and prints one JSON object:
 *   {"checksum": "<decimal>", "seconds": [wall...], "cpu_seconds": [process CPU...]}
 * Wall time is CLOCK_MONOTONIC; CPU time is CLOCK_PROCESS_CPUTIME_ID, which stays meaningful
 * on a machine shared with other work. Usage: <program> <n> [reps] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

long long run(int n);

static double clock_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_list(const char *key, const double *values, int count) {
    printf(", \"%s\": [", key);
    for (int i = 0; i < count; i++) printf("%s%.9f", i ? ", " : "", values[i]);
    printf("]");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <n> [reps]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]);
    int reps = argc > 2 ? atoi(argv[2]) : 1;
    if (reps < 1) reps = 1;
    double *wall = malloc(sizeof(double) * (size_t)reps);
    double *cpu = malloc(sizeof(double) * (size_t)reps);
    long long checksum = 0;
    for (int i = 0; i < reps; i++) {
        double w0 = clock_seconds(CLOCK_MONOTONIC), c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        long long c = run(n);
        double c1 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID), w1 = clock_seconds(CLOCK_MONOTONIC);
        wall[i] = w1 - w0;
        cpu[i] = c1 - c0;
        if (i > 0 && c != checksum) {
            fprintf(stderr, "checksum changed between repetitions: %lld vs %lld\n", checksum, c);
            return 1;
        }
        checksum = c;
    }
    printf("{\"checksum\": \"%lld\"", checksum);
    print_list("seconds", wall, reps);
    print_list("cpu_seconds", cpu, reps);
    printf("}\n");
    return 0;
}
