/* LZ77-style compressor (hash of 4 bytes -> last position, greedy matching, LZ4-like token
 * format) and decompressor over 1 MiB (16 KiB for tiny n) of semi-compressible text-like data; n round trips,
 * each verified byte for byte. */
#include "bench.h"

#define HASH_BITS 16
#define MIN_MATCH 4
#define MAX_OFFSET 65535

static inline u32 read32(const u8 *p) { u32 v; bench_memcpy(&v, p, 4); return v; }
static inline u32 hash4(u32 v) { return (v * 2654435761u) >> (32 - HASH_BITS); }

static u8 *put_length(u8 *out, u32 len) {
    while (len >= 255) { *out++ = 255; len -= 255; }
    *out++ = (u8)len;
    return out;
}

/* Token: high nibble = literal count, low nibble = match length - 4 (15 = more bytes follow). */
static u32 compress(const u8 *in, u32 len, u8 *out, u32 *table) {
    bench_memset(table, 0xFF, sizeof(u32) << HASH_BITS);
    u8 *op = out;
    u32 anchor = 0, i = 0;
    while (i + MIN_MATCH + 8 < len) {
        u32 v = read32(in + i);
        u32 slot = hash4(v);
        u32 cand = table[slot];
        table[slot] = i;
        if (cand == 0xFFFFFFFFu || i - cand > MAX_OFFSET || read32(in + cand) != v) { i++; continue; }
        u32 m = MIN_MATCH;
        while (i + m < len && in[cand + m] == in[i + m]) m++;
        u32 lit = i - anchor;
        u8 *token = op++;
        *token = (u8)((lit < 15 ? lit : 15) << 4 | (m - MIN_MATCH < 15 ? m - MIN_MATCH : 15));
        if (lit >= 15) op = put_length(op, lit - 15);
        bench_memcpy(op, in + anchor, lit);
        op += lit;
        u32 offset = i - cand;
        *op++ = (u8)offset; *op++ = (u8)(offset >> 8);
        if (m - MIN_MATCH >= 15) op = put_length(op, m - MIN_MATCH - 15);
        i += m;
        anchor = i;
    }
    u32 lit = len - anchor;
    *op++ = (u8)((lit < 15 ? lit : 15) << 4);
    if (lit >= 15) op = put_length(op, lit - 15);
    bench_memcpy(op, in + anchor, lit);
    op += lit;
    return (u32)(op - out);
}

static u32 decompress(const u8 *in, u32 len, u8 *out) {
    const u8 *ip = in, *end = in + len;
    u8 *op = out;
    while (ip < end) {
        u32 token = *ip++;
        u32 lit = token >> 4;
        if (lit == 15) { u32 b; do { b = *ip++; lit += b; } while (b == 255); }
        bench_memcpy(op, ip, lit);
        op += lit; ip += lit;
        if (ip >= end) break;
        u32 offset = ip[0] | (u32)ip[1] << 8;
        ip += 2;
        u32 m = (token & 15) + MIN_MATCH;
        if ((token & 15) == 15) { u32 b; do { b = *ip++; m += b; } while (b == 255); }
        const u8 *src = op - offset;
        for (u32 k = 0; k < m; k++) op[k] = src[k]; /* overlapping copy, byte by byte */
        op += m;
    }
    return (u32)(op - out);
}

BENCH_ENTRY {
    bench_reset();
    const u32 size = BENCH_PICK(n, 1u << 20, 16u << 10);
    u8 *data = bench_alloc(size);
    u8 *packed = bench_alloc(size + size / 255 + 64);
    u8 *unpacked = bench_alloc(size);
    u32 *table = bench_alloc(sizeof(u32) << HASH_BITS);
    /* Words from a small vocabulary with random separators: compressible but not trivially. */
    static const char *words[16] = { "the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ",
        "dog ", "wasm ", "apus ", "kernel ", "module ", "memory ", "table ", "call ", "indirect " };
    Rng rng = rng_seed(77);
    u32 pos = 0;
    while (pos < size) {
        u64 r = rng_next(&rng);
        if ((r & 7) == 0) { data[pos++] = (u8)(r >> 8); continue; }
        const char *w = words[(r >> 16) & 15];
        for (u32 k = 0; w[k] && pos < size; k++) data[pos++] = (u8)w[k];
    }
    u64 h = 0;
    for (int round = 0; round < n; round++) {
        data[(u32)round * 40503u % size] = (u8)round;
        u32 clen = compress(data, size, packed, table);
        u32 dlen = decompress(packed, clen, unpacked);
        u32 bad = dlen != size;
        for (u32 i = 0; i < size && !bad; i += 1) bad = unpacked[i] != data[i];
        h = mix64(h, clen);
        h = mix64(h, bad);
    }
    return finish(h);
}
