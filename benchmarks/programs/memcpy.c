/* memcpy/memmove-heavy traffic: n rounds of block copies of sizes from 8 bytes to 64 KiB between
 * pseudo-random offsets of a 4 MiB buffer (256 KiB for tiny n) (overlapping moves included), plus memset fills. */
#include "bench.h"

BENCH_ENTRY {
    bench_reset();
    const u32 size = BENCH_PICK(n, 4u << 20, 256u << 10);
    u8 *buf = bench_alloc(size);
    u8 *scratch = bench_alloc(64 * 1024);
    for (u32 i = 0; i < size; i++) buf[i] = (u8)(i ^ (i >> 9));
    Rng rng = rng_seed(99);
    u64 h = 0;
    for (int round = 0; round < n; round++) {
        for (int k = 0; k < 256; k++) {
            u64 r = rng_next(&rng);
            u32 len = 8u << (r & 13); /* 8 B .. 64 KiB */
            len += (u32)(r >> 8) & 7;
            u32 src = (u32)(r >> 16) % (size - len);
            u32 dst = (u32)(r >> 40) % (size - len);
            switch ((r >> 4) & 3) {
            case 0: bench_memmove(buf + dst, buf + src, len); break;      /* may overlap */
            case 1: bench_memcpy(scratch, buf + src, len & 0xFFFF);
                    bench_memcpy(buf + dst, scratch, len & 0xFFFF); break;
            case 2: bench_memset(buf + dst, (int)(r >> 56), len); break;
            default: bench_memmove(buf + src + 1 < buf + size - len ? buf + src + 1 : buf, buf + src, len - 1); break;
            }
        }
        u64 sample = 0;
        for (u32 i = (u32)round % 4096; i < size; i += 4096) sample = sample * 131 + buf[i];
        h = mix64(h, sample);
    }
    return finish(h);
}
