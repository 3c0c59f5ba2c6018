/* Integer dot products: a quantised multi-layer perceptron, 8 layers of 256x256 16-bit weights
 * (32x32 for tiny n) in the int8 range, activations clamped back to [-127, 127] after every layer
 * (a ReLU-like floor at 0 on odd layers), n forward passes over different inputs. The dot products
 * of 16-bit values accumulated in 32 bits, and the clamps, are what clang -O3 -msimd128
 * vectorises (i32x4.dot_i16x8_s or extmul + add, min/max). The products stay far from overflow:
 * |w*x| <= 127*127 and at most 256 terms, so the signed arithmetic is exact everywhere. A second,
 * unsigned 32x32-bit dot product (wrapping) feeds the checksum from the activations. */
#include "bench.h"

#define LAYERS 8

static i32 dot16(const short *restrict w, const short *restrict x, u32 len) {
    i32 s = 0;
    for (u32 k = 0; k < len; k++) s += (i32)w[k] * (i32)x[k];
    return s;
}

static u32 dot32(const u32 *restrict a, const u32 *restrict b, u32 len) {
    u32 s = 0;
    for (u32 k = 0; k < len; k++) s += a[k] * b[k];
    return s;
}

static void layer(short *restrict out, const short *restrict w, const short *restrict in, u32 dim, i32 floor) {
    for (u32 m = 0; m < dim; m++) {
        i32 v = dot16(w + (usize)m * dim, in, dim) >> 9;
        v = v < floor ? floor : v;
        out[m] = (short)(v > 127 ? 127 : v);
    }
}

BENCH_ENTRY {
    bench_reset();
    const u32 dim = BENCH_PICK(n, 256u, 32u);
    short *weights = bench_alloc((usize)LAYERS * dim * dim * sizeof(short));
    short *a = bench_alloc(dim * sizeof(short));
    short *b = bench_alloc(dim * sizeof(short));
    u32 *wide = bench_alloc(dim * sizeof(u32));
    u32 *key = bench_alloc(dim * sizeof(u32));
    Rng rng = rng_seed(8);
    for (u32 i = 0; i < LAYERS * dim * dim; i++) weights[i] = (short)((i32)(rng_next(&rng) % 255) - 127);
    for (u32 i = 0; i < dim; i++) key[i] = rng_u32(&rng) | 1;
    u64 h = 0;
    u32 nonzero = 0;
    for (int pass = 0; pass < n; pass++) {
        for (u32 i = 0; i < dim; i++) a[i] = (short)((i32)(rng_next(&rng) % 255) - 127);
        for (u32 l = 0; l < LAYERS; l++) {
            layer(b, weights + (usize)l * dim * dim, a, dim, (l & 1) ? 0 : -127);
            short *t = a; a = b; b = t;
        }
        for (u32 i = 0; i < dim; i++) { wide[i] = (u32)(i32)a[i] * 0x10001u; nonzero += a[i] != 0; }
        h = mix64(h, dot32(wide, key, dim));
        h = mix64(h, (u64)(u16)a[(u32)pass % dim] << 16 | (u16)a[dim - 1]);
    }
    h = mix64(h, nonzero);
    return finish(h);
}
