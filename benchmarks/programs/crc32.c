/* Table-driven CRC-32 (IEEE) over a 1 MiB buffer (8 KiB for tiny n), n passes; each pass perturbs the buffer. */
#include "bench.h"

BENCH_ENTRY {
    bench_reset();
    u32 table[256];
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    const u32 size = BENCH_PICK(n, 1u << 20, 8u << 10);
    u8 *buf = bench_alloc(size);
    Rng rng = rng_seed(32);
    for (u32 i = 0; i < size; i++) buf[i] = (u8)rng_next(&rng);
    u64 h = 0;
    for (int pass = 0; pass < n; pass++) {
        buf[(u32)pass * 2654435761u % size] ^= (u8)(pass + 1);
        u32 crc = 0xFFFFFFFFu;
        for (u32 i = 0; i < size; i++) crc = table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
        h = mix64(h, crc ^ 0xFFFFFFFFu);
    }
    return finish(h);
}
