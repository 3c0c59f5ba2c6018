/* Integer lane operations, written with <wasm_simd128.h> intrinsics when built with -msimd128
 * and as the same per-byte algorithm in scalar C otherwise (native and the plain wasm build).
 * n rounds over two 64 KiB 8-bit images A and B (4 KiB for tiny n), 16 pixels at a time:
 *   - saturating sum (u8 add_sat), its minimum and maximum (u8 min/max), and the number of
 *     pixels above a threshold (u8 gt, i8x16.bitmask, popcnt);
 *   - rounding average (u8 avgr), widened to 16 bits (extend_low/high), a gain (i16 mul), a bias
 *     with signed saturation (i16 add_sat), an arithmetic shift, and narrowed back to 8 bits with
 *     unsigned saturation (i8x16.narrow_i16x8_u): that becomes the next round's B;
 *   - absolute differences (u8 sub_sat both ways, or), squared with extmul to 16 bits and summed
 *     with extadd_pairwise to 32 bits;
 *   - Q15 products of the recentred pixels (i16 shl/sub, q15mulr_sat, including its one
 *     saturating case) and 16-bit dot products (i32x4.dot_i16x8_s), summed.
 * All sums are unsigned and wrap, so the lane order of the SIMD reductions does not matter. */
#include "bench.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

typedef struct {
    u32 count;      /* pixels with a saturated sum above the threshold */
    u32 sq;         /* sum of squared absolute differences */
    u32 q15;        /* sum of Q15 products */
    u32 dot;        /* sum of 16-bit dot products (wrapping) */
    u8 lo, hi;      /* minimum and maximum of the saturated sums */
} Stats;

static Stats blend(const u8 *restrict a, u8 *restrict b, u32 len, i32 gain, i32 bias, u32 threshold) {
    Stats st;
#ifdef __wasm_simd128__
    v128_t vgain = wasm_i16x8_splat((short)gain), vbias = wasm_i16x8_splat((short)bias);
    v128_t vhundred = wasm_i16x8_splat(100), vthreshold = wasm_u8x16_splat((u8)threshold);
    v128_t centre = wasm_i16x8_splat(-32767 - 1);
    v128_t mn = wasm_u8x16_splat(255), mx = wasm_u8x16_splat(0);
    v128_t sq = wasm_i32x4_splat(0), q15 = wasm_i32x4_splat(0), dot = wasm_i32x4_splat(0);
    u32 count = 0;
    for (u32 i = 0; i < len; i += 16) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        v128_t s = wasm_u8x16_add_sat(va, vb);
        mn = wasm_u8x16_min(mn, s);
        mx = wasm_u8x16_max(mx, s);
        count += (u32)__builtin_popcount(wasm_i8x16_bitmask(wasm_u8x16_gt(s, vthreshold)));

        v128_t av = wasm_u8x16_avgr(va, vb);
        v128_t glo = wasm_i16x8_add_sat(wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(av), vgain), vbias);
        v128_t ghi = wasm_i16x8_add_sat(wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(av), vgain), vbias);
        glo = wasm_i16x8_sub(wasm_i16x8_shr(glo, 6), vhundred);
        ghi = wasm_i16x8_sub(wasm_i16x8_shr(ghi, 6), vhundred);
        wasm_v128_store(b + i, wasm_u8x16_narrow_i16x8(glo, ghi));

        v128_t d = wasm_v128_or(wasm_u8x16_sub_sat(va, vb), wasm_u8x16_sub_sat(vb, va));
        sq = wasm_i32x4_add(sq, wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extmul_low_u8x16(d, d)));
        sq = wasm_i32x4_add(sq, wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extmul_high_u8x16(d, d)));

        v128_t qa = wasm_i16x8_add(wasm_i16x8_shl(wasm_u16x8_extend_low_u8x16(va), 8), centre);
        v128_t qb = wasm_i16x8_add(wasm_i16x8_shl(wasm_u16x8_extend_low_u8x16(vb), 8), centre);
        q15 = wasm_i32x4_add(q15, wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_q15mulr_sat(qa, qb)));
        dot = wasm_i32x4_add(dot, wasm_i32x4_dot_i16x8(qa, qb));
    }
    st.count = count;
    st.sq = (u32)wasm_i32x4_extract_lane(sq, 0) + (u32)wasm_i32x4_extract_lane(sq, 1)
        + (u32)wasm_i32x4_extract_lane(sq, 2) + (u32)wasm_i32x4_extract_lane(sq, 3);
    st.q15 = (u32)wasm_i32x4_extract_lane(q15, 0) + (u32)wasm_i32x4_extract_lane(q15, 1)
        + (u32)wasm_i32x4_extract_lane(q15, 2) + (u32)wasm_i32x4_extract_lane(q15, 3);
    st.dot = (u32)wasm_i32x4_extract_lane(dot, 0) + (u32)wasm_i32x4_extract_lane(dot, 1)
        + (u32)wasm_i32x4_extract_lane(dot, 2) + (u32)wasm_i32x4_extract_lane(dot, 3);
    /* Horizontal min/max: fold by 8, 4, 2 and 1 lanes; every lane ends with the result. */
    mn = wasm_u8x16_min(mn, wasm_i8x16_shuffle(mn, mn, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
    mx = wasm_u8x16_max(mx, wasm_i8x16_shuffle(mx, mx, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
    mn = wasm_u8x16_min(mn, wasm_i8x16_shuffle(mn, mn, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
    mx = wasm_u8x16_max(mx, wasm_i8x16_shuffle(mx, mx, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
    mn = wasm_u8x16_min(mn, wasm_i8x16_shuffle(mn, mn, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
    mx = wasm_u8x16_max(mx, wasm_i8x16_shuffle(mx, mx, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
    mn = wasm_u8x16_min(mn, wasm_i8x16_shuffle(mn, mn, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14));
    mx = wasm_u8x16_max(mx, wasm_i8x16_shuffle(mx, mx, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14));
    st.lo = wasm_u8x16_extract_lane(mn, 0);
    st.hi = wasm_u8x16_extract_lane(mx, 0);
#else
    st.count = st.sq = st.q15 = st.dot = 0;
    st.lo = 255;
    st.hi = 0;
    for (u32 i = 0; i < len; i++) {
        u32 x = a[i], y = b[i];
        u32 s = x + y > 255 ? 255 : x + y;
        if (s < st.lo) st.lo = (u8)s;
        if (s > st.hi) st.hi = (u8)s;
        st.count += s > threshold;

        i32 av = (i32)((x + y + 1) >> 1);
        i32 g = av * gain + bias; /* i16 mul cannot wrap here: av * gain <= 255 * 103 */
        g = g > 32767 ? 32767 : g;
        g = (g >> 6) - 100;
        b[i] = (u8)(g < 0 ? 0 : g > 255 ? 255 : g);

        u32 d = x > y ? x - y : y - x;
        st.sq += d * d;

        /* The Q15 lanes are the low 8 pixels of every 16. */
        if ((i & 15) < 8) {
            i32 qa = (i32)(x << 8) - 32768, qb = (i32)(y << 8) - 32768;
            i32 q = (qa * qb + 0x4000) >> 15;
            st.q15 += (u32)(q > 32767 ? 32767 : q);
            st.dot += (u32)(qa * qb);
        }
    }
#endif
    return st;
}

BENCH_ENTRY {
    bench_reset();
    const u32 len = BENCH_PICK(n, 64u << 10, 4u << 10);
    u8 *a = bench_alloc(len);
    u8 *b = bench_alloc(len);
    Rng rng = rng_seed(256);
    for (u32 i = 0; i < len; i++) { a[i] = (u8)rng_next(&rng); b[i] = (u8)rng_next(&rng); }
    /* Pixels 0 of A and B make q15mulr's saturating case (both inputs -32768) occur; later
     * rounds meet it wherever A is 0 and the blend has clamped B to 0. */
    a[0] = 0;
    b[0] = 0;
    u64 h = 0;
    for (int round = 0; round < n; round++) {
        i32 gain = 40 + (round * 7) % 64;
        i32 bias = 6000 + (round * 131) % 4000;
        u32 threshold = 128 + (u32)round % 64;
        a[1 + (u32)round * 2654435761u % (len - 1)] = (u8)rng_next(&rng);
        Stats st = blend(a, b, len, gain, bias, threshold);
        h = mix64(h, (u64)st.count << 32 | st.sq);
        h = mix64(h, (u64)st.q15 << 32 | st.dot);
        h = mix64(h, (u64)st.lo << 8 | st.hi);
        h = mix64(h, (u64)b[(u32)round * 40503u % len] << 8 | b[len - 1]);
    }
    return finish(h);
}
