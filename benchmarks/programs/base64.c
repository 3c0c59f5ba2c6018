/* Base64 encode and decode of a 1 MiB buffer (16 KiB for tiny n), n round trips, each verified. */
#include "bench.h"

static const char alphabet[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static u32 encode(const u8 *in, u32 len, u8 *out) {
    u8 *op = out;
    u32 i = 0;
    for (; i + 3 <= len; i += 3) {
        u32 v = (u32)in[i] << 16 | (u32)in[i + 1] << 8 | in[i + 2];
        op[0] = (u8)alphabet[v >> 18]; op[1] = (u8)alphabet[(v >> 12) & 63];
        op[2] = (u8)alphabet[(v >> 6) & 63]; op[3] = (u8)alphabet[v & 63];
        op += 4;
    }
    if (i < len) {
        u32 v = (u32)in[i] << 16 | (i + 1 < len ? (u32)in[i + 1] << 8 : 0);
        op[0] = (u8)alphabet[v >> 18]; op[1] = (u8)alphabet[(v >> 12) & 63];
        op[2] = i + 1 < len ? (u8)alphabet[(v >> 6) & 63] : '=';
        op[3] = '=';
        op += 4;
    }
    return (u32)(op - out);
}

/* Returns the decoded length, or 0xFFFFFFFF on an invalid character. */
static u32 decode(const u8 *in, u32 len, u8 *out, const u8 *rev) {
    u8 *op = out;
    for (u32 i = 0; i + 4 <= len; i += 4) {
        u32 a = rev[in[i]], b = rev[in[i + 1]], c = rev[in[i + 2]], d = rev[in[i + 3]];
        u32 pad = (in[i + 3] == '=') + (in[i + 2] == '=');
        if (pad) { if (in[i + 3] == '=') d = 0; if (in[i + 2] == '=') c = 0; }
        if ((a | b | c | d) & 0x80) return 0xFFFFFFFFu;
        u32 v = a << 18 | b << 12 | c << 6 | d;
        op[0] = (u8)(v >> 16);
        if (pad < 2) op[1] = (u8)(v >> 8);
        if (pad < 1) op[2] = (u8)v;
        op += 3 - pad;
    }
    return (u32)(op - out);
}

BENCH_ENTRY {
    bench_reset();
    u8 rev[256];
    bench_memset(rev, 0x80, sizeof rev);
    for (u32 i = 0; i < 64; i++) rev[(u8)alphabet[i]] = (u8)i;
    const u32 size = BENCH_PICK(n, 1u << 20, 16u << 10);
    u8 *data = bench_alloc(size);
    u8 *text = bench_alloc(size / 3 * 4 + 8);
    u8 *back = bench_alloc(size);
    Rng rng = rng_seed(64);
    for (u32 i = 0; i < size; i++) data[i] = (u8)rng_next(&rng);
    u64 h = 0;
    for (int round = 0; round < n; round++) {
        u32 len = size - (u32)(round % 3); /* exercise every padding case */
        data[(u32)round * 7919u % size] = (u8)round;
        u32 tlen = encode(data, len, text);
        u32 dlen = decode(text, tlen, back, rev);
        u32 bad = dlen != len;
        for (u32 i = 0; i < len && !bad; i++) bad = back[i] != data[i];
        h = mix64(h, tlen);
        h = mix64(h, bad);
        h = mix64(h, (u64)text[(u32)round * 104729u % tlen] << 8 | text[tlen - 1]);
    }
    return finish(h);
}
