/* Recursive Fibonacci: call-heavy integer code. n is the Fibonacci index. */
#include "bench.h"

__attribute__((noinline)) static u64 fib(u32 k) {
    if (k < 2) return k;
    return fib(k - 1) + fib(k - 2);
}

BENCH_ENTRY {
    bench_reset();
    u64 h = 0;
    /* A few neighbouring indices, so the result cannot be folded at compile time. */
    for (int k = n - 2; k <= n; k++) h = mix64(h, fib((u32)(k < 0 ? 0 : k)));
    return finish(h);
}
