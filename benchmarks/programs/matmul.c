/* Dense matrix multiply C = A * B of n x n doubles (i-k-j loop order), then C's trace and a
 * sample of entries. */
#include "bench.h"

BENCH_ENTRY {
    bench_reset();
    u32 size = n < 1 ? 1 : (u32)n;
    usize bytes = (usize)size * size * sizeof(double);
    double *A = bench_alloc(bytes), *B = bench_alloc(bytes), *C = bench_alloc(bytes);
    Rng rng = rng_seed(size);
    for (u32 i = 0; i < size * size; i++) { A[i] = rng_unit(&rng) - 0.5; B[i] = rng_unit(&rng) - 0.5; }
    bench_memset(C, 0, bytes);
    for (u32 i = 0; i < size; i++)
        for (u32 k = 0; k < size; k++) {
            double aik = A[i * size + k];
            const double *brow = B + (usize)k * size;
            double *crow = C + (usize)i * size;
            for (u32 j = 0; j < size; j++) crow[j] += aik * brow[j];
        }
    u64 h = 0;
    double trace = 0;
    for (u32 i = 0; i < size; i++) trace += C[i * size + i];
    h = mix64(h, double_bits(trace));
    for (u32 i = 0; i < size * size; i += 97) h = mix64(h, double_bits(C[i]));
    return finish(h);
}
