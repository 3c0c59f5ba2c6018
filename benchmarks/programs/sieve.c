/* Sieve of Eratosthenes: n rounds, each sieving a byte array up to a limit near 2 million
 * (16 thousand for n < BENCH_SMALL_N). */
#include "bench.h"

BENCH_ENTRY {
    bench_reset();
    const u32 base = BENCH_PICK(n, 2000000u, 16000u);
    const u32 max_limit = base + 64 * 1024;
    u8 *composite = bench_alloc(max_limit + 1);
    u64 h = 0;
    for (int round = 0; round < n; round++) {
        u32 limit = base + (u32)(round % 65536);
        bench_memset(composite, 0, limit + 1);
        u32 count = 0;
        u64 sum = 0;
        for (u32 i = 2; i <= limit; i++) {
            if (composite[i]) continue;
            count++;
            sum += i;
            for (u64 j = (u64)i * i; j <= limit; j += i) composite[j] = 1;
        }
        h = mix64(h, count);
        h = mix64(h, sum);
    }
    return finish(h);
}
