/* Element-wise f32 kernels over three 16K-float arrays (1K for tiny n), n rounds: a saxpy
 * (y = a*x + b*y), a hypotenuse-over-denominator (z = sqrt(x*x + y*y) / (1 + z)) and an average
 * (x = (x + z) * 0.5). Every loop is element-wise, with no reduction, so clang -O3 -msimd128
 * turns them into f32x4 mul/add/sqrt/div without reassociating anything: the SIMD build computes
 * exactly the same values as the scalar one. All values stay in [0, 2), so no NaN ever appears
 * (NaN payloads are not deterministic across engines). */
#include "bench.h"

/* No a*b+c contraction into FMA on any target (there is none on wasm32 or baseline x86-64,
 * but an -march with FMA would otherwise change native's results). */
#pragma clang fp contract(off)

static u32 float_bits(float f) {
    union { float f; u32 u; } x;
    x.f = f;
    return x.u;
}

static void saxpy(float *restrict y, const float *restrict x, float a, float b, u32 len) {
    for (u32 i = 0; i < len; i++) y[i] = a * x[i] + b * y[i];
}

static void hypot_div(float *restrict z, const float *restrict x, const float *restrict y, u32 len) {
    for (u32 i = 0; i < len; i++) z[i] = __builtin_sqrtf(x[i] * x[i] + y[i] * y[i]) / (1.0f + z[i]);
}

static void average(float *restrict x, const float *restrict z, u32 len) {
    for (u32 i = 0; i < len; i++) x[i] = (x[i] + z[i]) * 0.5f;
}

BENCH_ENTRY {
    bench_reset();
    const u32 len = BENCH_PICK(n, 16u << 10, 1u << 10);
    float *x = bench_alloc(len * sizeof(float));
    float *y = bench_alloc(len * sizeof(float));
    float *z = bench_alloc(len * sizeof(float));
    Rng rng = rng_seed(4);
    for (u32 i = 0; i < len; i++) {
        x[i] = (float)(rng_next(&rng) >> 40) * (1.0f / 16777216.0f); /* 24 random bits: exact */
        y[i] = (float)(rng_next(&rng) >> 40) * (1.0f / 16777216.0f);
        z[i] = 0.0f;
    }
    u64 h = 0;
    for (int round = 0; round < n; round++) {
        /* Coefficients vary per round; a + b < 1 keeps y in [0, 1). */
        float a = 0.25f + (float)(round & 15) * (1.0f / 128.0f);
        saxpy(y, x, a, 0.625f, len);
        hypot_div(z, x, y, len);
        average(x, z, len);
        /* Perturb one element so the arrays never settle into a fixed point. */
        u32 k = (u32)round * 2654435761u % len;
        x[k] = (float)(rng_next(&rng) >> 40) * (1.0f / 16777216.0f);
        h = mix64(h, (u64)float_bits(z[(u32)round * 40503u % len]) << 32 | float_bits(y[k]));
    }
    /* The final state, summed as integers (wrapping, any order gives the same sum). */
    u32 sx = 0, sy = 0, sz = 0;
    for (u32 i = 0; i < len; i++) { sx += float_bits(x[i]); sy += float_bits(y[i]) * (i | 1); sz ^= float_bits(z[i]) + i; }
    h = mix64(h, sx);
    h = mix64(h, sy);
    h = mix64(h, sz);
    return finish(h);
}
