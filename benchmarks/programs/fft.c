/* Iterative radix-2 complex FFT of 2^16 points (2^10 for tiny n): n forward+inverse round trips. Twiddle factors
 * come from a Taylor series (only + - * /), so every engine computes identical bits. */
#include "bench.h"

#define PI 3.141592653589793

static u32 N; /* points: 2^16, or 2^10 for tiny n */

/* sin and cos for |x| <= pi/4 by Taylor series; larger angles via symmetry. */
static double taylor_sin(double x) {
    double term = x, sum = x, x2 = x * x;
    for (int k = 1; k < 12; k++) { term *= -x2 / ((2 * k) * (2 * k + 1)); sum += term; }
    return sum;
}
static double taylor_cos(double x) {
    double term = 1, sum = 1, x2 = x * x;
    for (int k = 1; k < 12; k++) { term *= -x2 / ((2 * k - 1) * (2 * k)); sum += term; }
    return sum;
}

/* Twiddle k of N: angle 2*pi*k/N for k < N/2, reduced to the first octant. */
static void twiddle(u32 k, double *c, double *s) {
    u32 eighth = N / 8;
    u32 oct = k / eighth, r = k % eighth;
    double t = 2.0 * PI * r / N; /* in [0, pi/4) */
    double ct = taylor_cos(t), st = taylor_sin(t);
    double u = 2.0 * PI * (eighth - r) / N; /* pi/4 - t, reduced the other way */
    double cu = taylor_cos(u), su = taylor_sin(u);
    switch (oct) {
    case 0: *c = ct; *s = st; break;        /* [0, pi/4) */
    case 1: *c = su; *s = cu; break;        /* [pi/4, pi/2): angle = pi/2 - u */
    case 2: *c = -st; *s = ct; break;       /* [pi/2, 3pi/4): angle = pi/2 + t */
    default: *c = -cu; *s = su; break;      /* [3pi/4, pi): angle = pi - u */
    }
}

static void fft(double *re, double *im, const double *wr, const double *wi, int inverse) {
    for (u32 i = 1, j = 0; i < N; i++) {
        u32 bit = N >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (u32 len = 2; len <= N; len <<= 1) {
        u32 half = len >> 1, step = N / len;
        for (u32 i = 0; i < N; i += len)
            for (u32 k = 0; k < half; k++) {
                double c = wr[k * step], s = inverse ? wi[k * step] : -wi[k * step];
                u32 p = i + k, q = p + half;
                double xr = re[q] * c - im[q] * s, xi = re[q] * s + im[q] * c;
                re[q] = re[p] - xr; im[q] = im[p] - xi;
                re[p] += xr; im[p] += xi;
            }
    }
    if (inverse)
        for (u32 i = 0; i < N; i++) { re[i] /= N; im[i] /= N; }
}

BENCH_ENTRY {
    bench_reset();
    N = BENCH_PICK(n, 1u << 16, 1u << 10);
    double *re = bench_alloc(N * sizeof(double)), *im = bench_alloc(N * sizeof(double));
    double *wr = bench_alloc(N / 2 * sizeof(double)), *wi = bench_alloc(N / 2 * sizeof(double));
    for (u32 k = 0; k < N / 2; k++) twiddle(k, &wr[k], &wi[k]);
    Rng rng = rng_seed(2);
    for (u32 i = 0; i < N; i++) { re[i] = rng_unit(&rng) - 0.5; im[i] = rng_unit(&rng) - 0.5; }
    u64 h = 0;
    for (int round = 0; round < n; round++) {
        fft(re, im, wr, wi, 0);
        h = mix64(h, double_bits(re[(u32)round % N]));
        fft(re, im, wr, wi, 1);
    }
    for (u32 i = 0; i < N; i += 256) h = mix64(h, double_bits(re[i] + im[i]));
    return finish(h);
}
