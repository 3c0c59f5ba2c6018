/* Byte shuffles and swizzles, written with <wasm_simd128.h> intrinsics when built with -msimd128
 * and as the same algorithm in scalar C otherwise (native and the plain wasm build). n rounds over
 * 64 KiB of RGBA pixels (4 KiB for tiny n):
 *   1. RGBA pixels -> BGRA planes (16 pixels at a time: one i8x16.shuffle per vector transposes
 *      4x4 bytes and swaps R/B, then i32x4/i64x2-style two-input shuffles gather the planes);
 *   2. a 4-bit S-box (PRESENT's) on both nibbles of every byte: two i8x16.swizzle table lookups;
 *   3. a table lookup whose indices go out of range (i8x16.swizzle gives 0 for an index >= 16,
 *      including 16..127, which x86's pshufb does not), summed per lane into the checksum;
 *   4. hex encoding (swizzle from "0123456789abcdef", interleaving shuffles) and decoding
 *      (deinterleaving shuffles, a swizzle for the letter adjustment);
 *   5. the inverse S-box and planes -> RGBA pixels, and a check that the round trip is exact.
 */
#include "bench.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

static const u8 sbox[16] = { 0xC, 0x5, 0x6, 0xB, 0x9, 0x0, 0xA, 0xD, 0x3, 0xE, 0xF, 0x8, 0x4, 0x7, 0x1, 0x2 };
static const u8 hexdigits[16] = { '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f' };
/* Added to (c & 15) by the decoder, indexed by c >> 4: '0'..'9' are 0x3_, 'a'..'f' are 0x6_. */
static const u8 hexadjust[16] = { 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
static const u8 oddtable[16] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3 };

/* 1. pixels (RGBA, count a multiple of 16) -> four planes B, G, R, A of `count` bytes each. */
static void to_planes(const u8 *restrict px, u8 *restrict planes, u32 count) {
#ifdef __wasm_simd128__
    for (u32 p = 0; p < count; p += 16) {
        v128_t t[4];
        for (int k = 0; k < 4; k++) {
            v128_t v = wasm_v128_load(px + 4 * p + 16 * k);
            /* BBBB GGGG RRRR AAAA of pixels 4k..4k+3 */
            t[k] = wasm_i8x16_shuffle(v, v, 2, 6, 10, 14, 1, 5, 9, 13, 0, 4, 8, 12, 3, 7, 11, 15);
        }
        v128_t bg01 = wasm_i32x4_shuffle(t[0], t[1], 0, 4, 1, 5); /* B0 B1 G0 G1 (4 pixels each) */
        v128_t bg23 = wasm_i32x4_shuffle(t[2], t[3], 0, 4, 1, 5);
        v128_t ra01 = wasm_i32x4_shuffle(t[0], t[1], 2, 6, 3, 7);
        v128_t ra23 = wasm_i32x4_shuffle(t[2], t[3], 2, 6, 3, 7);
        wasm_v128_store(planes + p, wasm_i64x2_shuffle(bg01, bg23, 0, 2));
        wasm_v128_store(planes + count + p, wasm_i64x2_shuffle(bg01, bg23, 1, 3));
        wasm_v128_store(planes + 2 * count + p, wasm_i64x2_shuffle(ra01, ra23, 0, 2));
        wasm_v128_store(planes + 3 * count + p, wasm_i64x2_shuffle(ra01, ra23, 1, 3));
    }
#else
    for (u32 p = 0; p < count; p++) {
        planes[p] = px[4 * p + 2];
        planes[count + p] = px[4 * p + 1];
        planes[2 * count + p] = px[4 * p];
        planes[3 * count + p] = px[4 * p + 3];
    }
#endif
}

/* 5b. planes B, G, R, A -> RGBA pixels: the inverse of to_planes. */
static void from_planes(const u8 *restrict planes, u8 *restrict px, u32 count) {
#ifdef __wasm_simd128__
    for (u32 p = 0; p < count; p += 16) {
        v128_t b = wasm_v128_load(planes + p), g = wasm_v128_load(planes + count + p);
        v128_t r = wasm_v128_load(planes + 2 * count + p), a = wasm_v128_load(planes + 3 * count + p);
        v128_t rg_lo = wasm_i8x16_shuffle(r, g, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        v128_t rg_hi = wasm_i8x16_shuffle(r, g, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        v128_t ba_lo = wasm_i8x16_shuffle(b, a, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        v128_t ba_hi = wasm_i8x16_shuffle(b, a, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        wasm_v128_store(px + 4 * p, wasm_i16x8_shuffle(rg_lo, ba_lo, 0, 8, 1, 9, 2, 10, 3, 11));
        wasm_v128_store(px + 4 * p + 16, wasm_i16x8_shuffle(rg_lo, ba_lo, 4, 12, 5, 13, 6, 14, 7, 15));
        wasm_v128_store(px + 4 * p + 32, wasm_i16x8_shuffle(rg_hi, ba_hi, 0, 8, 1, 9, 2, 10, 3, 11));
        wasm_v128_store(px + 4 * p + 48, wasm_i16x8_shuffle(rg_hi, ba_hi, 4, 12, 5, 13, 6, 14, 7, 15));
    }
#else
    for (u32 p = 0; p < count; p++) {
        px[4 * p] = planes[2 * count + p];
        px[4 * p + 1] = planes[count + p];
        px[4 * p + 2] = planes[p];
        px[4 * p + 3] = planes[3 * count + p];
    }
#endif
}

/* 2 and 5a. Substitutes both nibbles of every byte through a 16-entry table (len: multiple of 16). */
static void nibble_sub(u8 *restrict data, const u8 *table, u32 len) {
#ifdef __wasm_simd128__
    v128_t t = wasm_v128_load(table), low = wasm_i8x16_splat(0x0F);
    for (u32 i = 0; i < len; i += 16) {
        v128_t v = wasm_v128_load(data + i);
        v128_t lo = wasm_i8x16_swizzle(t, wasm_v128_and(v, low));
        v128_t hi = wasm_i8x16_swizzle(t, wasm_u8x16_shr(v, 4));
        wasm_v128_store(data + i, wasm_v128_or(wasm_i8x16_shl(hi, 4), lo));
    }
#else
    for (u32 i = 0; i < len; i++) data[i] = (u8)(table[data[i] >> 4] << 4 | table[data[i] & 0x0F]);
#endif
}

/* 3. Sums, per lane position (i % 16), table[data[i] & 0x9F] with 0 for an index >= 16. */
static void odd_lookup(const u8 *restrict data, u32 len, u8 sums[16]) {
#ifdef __wasm_simd128__
    v128_t t = wasm_v128_load(oddtable), mask = wasm_i8x16_splat((char)0x9F), acc = wasm_i8x16_splat(0);
    for (u32 i = 0; i < len; i += 16)
        acc = wasm_i8x16_add(acc, wasm_i8x16_swizzle(t, wasm_v128_and(wasm_v128_load(data + i), mask)));
    wasm_v128_store(sums, acc);
#else
    for (u32 k = 0; k < 16; k++) sums[k] = 0;
    for (u32 i = 0; i < len; i++) {
        u32 index = data[i] & 0x9Fu;
        sums[i & 15] = (u8)(sums[i & 15] + (index < 16 ? oddtable[index] : 0));
    }
#endif
}

/* 4a. Lower-case hex, two characters per byte (len: multiple of 16). */
static void hex_encode(const u8 *restrict data, u8 *restrict text, u32 len) {
#ifdef __wasm_simd128__
    v128_t digits = wasm_v128_load(hexdigits), low = wasm_i8x16_splat(0x0F);
    for (u32 i = 0; i < len; i += 16) {
        v128_t v = wasm_v128_load(data + i);
        v128_t hi = wasm_i8x16_swizzle(digits, wasm_u8x16_shr(v, 4));
        v128_t lo = wasm_i8x16_swizzle(digits, wasm_v128_and(v, low));
        wasm_v128_store(text + 2 * i,
            wasm_i8x16_shuffle(hi, lo, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
        wasm_v128_store(text + 2 * i + 16,
            wasm_i8x16_shuffle(hi, lo, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
    }
#else
    for (u32 i = 0; i < len; i++) {
        text[2 * i] = hexdigits[data[i] >> 4];
        text[2 * i + 1] = hexdigits[data[i] & 0x0F];
    }
#endif
}

/* 4b. The inverse of hex_encode (valid lower-case input only). */
static void hex_decode(const u8 *restrict text, u8 *restrict data, u32 len) {
#ifdef __wasm_simd128__
    v128_t adjust = wasm_v128_load(hexadjust), low = wasm_i8x16_splat(0x0F);
    for (u32 i = 0; i < len; i += 16) {
        v128_t c0 = wasm_v128_load(text + 2 * i), c1 = wasm_v128_load(text + 2 * i + 16);
        v128_t hc = wasm_i8x16_shuffle(c0, c1, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        v128_t lc = wasm_i8x16_shuffle(c0, c1, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        v128_t hv = wasm_i8x16_add(wasm_v128_and(hc, low), wasm_i8x16_swizzle(adjust, wasm_u8x16_shr(hc, 4)));
        v128_t lv = wasm_i8x16_add(wasm_v128_and(lc, low), wasm_i8x16_swizzle(adjust, wasm_u8x16_shr(lc, 4)));
        wasm_v128_store(data + i, wasm_v128_or(wasm_i8x16_shl(hv, 4), lv));
    }
#else
    for (u32 i = 0; i < len; i++) {
        u8 hc = text[2 * i], lc = text[2 * i + 1];
        u8 hv = (u8)((hc & 0x0F) + hexadjust[hc >> 4]), lv = (u8)((lc & 0x0F) + hexadjust[lc >> 4]);
        data[i] = (u8)(hv << 4 | lv);
    }
#endif
}

/* 5c. 1 when a and b differ anywhere (len: multiple of 16). */
static u32 differ(const u8 *restrict a, const u8 *restrict b, u32 len) {
#ifdef __wasm_simd128__
    v128_t acc = wasm_i8x16_splat(0);
    for (u32 i = 0; i < len; i += 16)
        acc = wasm_v128_or(acc, wasm_v128_xor(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    return wasm_v128_any_true(acc);
#else
    u8 acc = 0;
    for (u32 i = 0; i < len; i++) acc |= a[i] ^ b[i];
    return acc != 0;
#endif
}

BENCH_ENTRY {
    bench_reset();
    const u32 bytes = BENCH_PICK(n, 64u << 10, 4u << 10);
    const u32 pixels = bytes / 4;
    u8 inverse[16];
    for (u32 i = 0; i < 16; i++) inverse[sbox[i]] = (u8)i;
    u8 *image = bench_alloc(bytes);
    u8 *planes = bench_alloc(bytes);
    u8 *text = bench_alloc(2 * bytes);
    u8 *back = bench_alloc(bytes);
    u8 *again = bench_alloc(bytes);
    Rng rng = rng_seed(128);
    for (u32 i = 0; i < bytes; i++) image[i] = (u8)rng_next(&rng);
    u64 h = 0;
    u32 bad = 0;
    for (int round = 0; round < n; round++) {
        image[(u32)round * 2654435761u % bytes] = (u8)rng_next(&rng);
        to_planes(image, planes, pixels);
        nibble_sub(planes, sbox, bytes);
        u8 sums[16];
        odd_lookup(planes, bytes, sums);
        hex_encode(planes, text, bytes);
        hex_decode(text, back, bytes);
        bad += differ(back, planes, bytes);
        nibble_sub(back, inverse, bytes);
        from_planes(back, again, pixels);
        bad += differ(again, image, bytes);
        u64 s = 0;
        for (u32 k = 0; k < 16; k++) s = s << 4 ^ sums[k];
        h = mix64(h, s);
        u32 at = (u32)round * 40503u % bytes;
        h = mix64(h, (u64)planes[at] << 32 | (u64)text[2 * at] << 8 | text[2 * at + 1]);
    }
    h = mix64(h, bad);
    return finish(h);
}
