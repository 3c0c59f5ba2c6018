/* Mandelbrot set on an n x n grid over [-1.5, 0.5] x [-1, 1], 50 iterations, escape radius 2;
 * the bitmap is hashed row by row (the Benchmarks Game model). */
#include "bench.h"

BENCH_ENTRY {
    bench_reset();
    u32 size = n < 1 ? 1 : (u32)n;
    u64 h = 0;
    u32 inside = 0;
    for (u32 y = 0; y < size; y++) {
        double ci = 2.0 * y / size - 1.0;
        u64 row = 0;
        for (u32 x = 0; x < size; x++) {
            double cr = 2.0 * x / size - 1.5;
            double zr = 0, zi = 0, tr = 0, ti = 0;
            u32 i = 0;
            for (; i < 50 && tr + ti <= 4.0; i++) {
                zi = 2.0 * zr * zi + ci;
                zr = tr - ti + cr;
                tr = zr * zr;
                ti = zi * zi;
            }
            u32 in = tr + ti <= 4.0;
            inside += in;
            row = row * 31 + (in ? 1 : i);
        }
        h = mix64(h, row);
    }
    return finish(mix64(h, inside));
}
