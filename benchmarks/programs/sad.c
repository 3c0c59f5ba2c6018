/* Block motion search, as in a video encoder: n frames of 192x192 bytes (48x48 for tiny n); every
 * 16x16 block of the current frame is compared, by the sum of absolute differences (SAD), with
 * every candidate of the reference frame within +-8 pixels, and the best vector is kept. The
 * current frame is the reference moved by a known vector plus noise of 0..3 per pixel, so the
 * search must find that vector for every block (checked). The 16-byte SAD rows are the loops
 * clang -O3 -msimd128 vectorises (extend, sub, abs, add on i8x16/i16x8). */
#include "bench.h"

#define BLOCK 16
#define RANGE 8

static u32 sad16(const u8 *a, const u8 *b, u32 stride) {
    u32 s = 0;
    for (u32 y = 0; y < BLOCK; y++, a += stride, b += stride)
        for (u32 x = 0; x < BLOCK; x++) {
            i32 d = (i32)a[x] - (i32)b[x];
            s += (u32)(d < 0 ? -d : d);
        }
    return s;
}

BENCH_ENTRY {
    bench_reset();
    const u32 side = BENCH_PICK(n, 192u, 48u);
    u8 *ref = bench_alloc(side * side);
    u8 *cur = bench_alloc(side * side);
    Rng rng = rng_seed(16);
    for (u32 i = 0; i < side * side; i++) ref[i] = (u8)rng_next(&rng);
    u64 h = 0;
    u32 bad = 0;
    for (int frame = 0; frame < n; frame++) {
        /* The true motion of this frame, and the current frame made from it. */
        i32 mx = (i32)(rng_next(&rng) % (2 * RANGE + 1)) - RANGE;
        i32 my = (i32)(rng_next(&rng) % (2 * RANGE + 1)) - RANGE;
        for (u32 y = 0; y < side; y++)
            for (u32 x = 0; x < side; x++) {
                u32 sy = (u32)((i32)y + my + (i32)side) % side, sx = (u32)((i32)x + mx + (i32)side) % side;
                cur[y * side + x] = (u8)(ref[sy * side + sx] + (u8)(rng_next(&rng) & 3));
            }
        u32 total = 0;
        /* Blocks whose whole search window lies inside the frame. */
        for (u32 by = RANGE; by + BLOCK + RANGE <= side; by += BLOCK)
            for (u32 bx = RANGE; bx + BLOCK + RANGE <= side; bx += BLOCK) {
                const u8 *c = cur + by * side + bx;
                u32 best = 0xFFFFFFFFu;
                i32 bestx = 0, besty = 0;
                for (i32 dy = -RANGE; dy <= RANGE; dy++)
                    for (i32 dx = -RANGE; dx <= RANGE; dx++) {
                        u32 s = sad16(c, ref + (usize)((i32)(by * side + bx) + dy * (i32)side + dx), side);
                        if (s < best) { best = s; bestx = dx; besty = dy; }
                    }
                bad += bestx != mx || besty != my;
                total += best;
                h = mix64(h, (u64)best << 16 | (u64)(u32)(bestx + RANGE) << 8 | (u32)(besty + RANGE));
            }
        h = mix64(h, total);
        /* The next reference frame is this one. */
        u8 *t = ref; ref = cur; cur = t;
    }
    h = mix64(h, bad);
    return finish(h);
}
