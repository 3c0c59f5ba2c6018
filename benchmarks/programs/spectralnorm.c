/* Spectral norm of the infinite matrix A(i,j) = 1/((i+j)(i+j+1)/2+i+1), truncated to n x n,
 * by 10 power iterations (the Benchmarks Game program). */
#include "bench.h"

static inline double a(u32 i, u32 j) { return 1.0 / (double)((i + j) * (i + j + 1) / 2 + i + 1); }

static void mul_av(const double *v, double *out, u32 n) {
    for (u32 i = 0; i < n; i++) {
        double s = 0;
        for (u32 j = 0; j < n; j++) s += a(i, j) * v[j];
        out[i] = s;
    }
}

static void mul_atv(const double *v, double *out, u32 n) {
    for (u32 i = 0; i < n; i++) {
        double s = 0;
        for (u32 j = 0; j < n; j++) s += a(j, i) * v[j];
        out[i] = s;
    }
}

static void mul_atav(const double *v, double *out, double *tmp, u32 n) {
    mul_av(v, tmp, n);
    mul_atv(tmp, out, n);
}

BENCH_ENTRY {
    bench_reset();
    u32 size = n < 1 ? 1 : (u32)n;
    double *u = bench_alloc(size * sizeof(double));
    double *v = bench_alloc(size * sizeof(double));
    double *tmp = bench_alloc(size * sizeof(double));
    for (u32 i = 0; i < size; i++) u[i] = 1.0;
    for (int k = 0; k < 10; k++) {
        mul_atav(u, v, tmp, size);
        mul_atav(v, u, tmp, size);
    }
    double vbv = 0, vv = 0;
    for (u32 i = 0; i < size; i++) { vbv += u[i] * v[i]; vv += v[i] * v[i]; }
    double norm = __builtin_sqrt(vbv / vv);
    return finish(mix64(mix64(0, double_bits(norm)), double_bits(u[size / 2])));
}
