/* Shared support for the Apus benchmark programs.
 *
 * Every program is one C file that defines `long long run(int n)`: it does work scaled by `n`
 * and returns a checksum of its results. The same file builds to freestanding wasm32 (no libc,
 * no WASI: the module exports `run` and its memory) and to native x86_64, where a small driver
 * (driver.c) times the call. `run` must be repeatable: it resets every piece of state it uses,
 * so each call with the same `n` returns the same checksum.
 *
 * Portability rules that keep checksums identical across engines: unsigned arithmetic for
 * anything that may wrap; floating point limited to + - * / and sqrt (IEEE-exact everywhere;
 * no libm, no FMA, no -ffast-math); no float-to-int conversion of out-of-range values.
 */
#ifndef APUS_BENCH_H
#define APUS_BENCH_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;
typedef long long i64;
typedef __SIZE_TYPE__ usize;

#define BENCH_ENTRY long long run(int n)

/* Programs that work over a fixed-size buffer shrink it when n is below BENCH_SMALL_N, so the
 * tiny sizes used by tests stay cheap even on a debug-built interpreter. Real sizes are all at or
 * above the threshold and use the full buffers. */
#define BENCH_SMALL_N 8
#define BENCH_PICK(n, full, small) ((n) >= BENCH_SMALL_N ? (full) : (small))

/* ---- memory: a bump allocator reset at the start of every run ------------------------------ */

#if defined(__wasm__)
extern unsigned char __heap_base;
static usize bench_top;

static void bench_reset(void) { bench_top = (usize)&__heap_base; }

static void *bench_alloc(usize size) {
    if (bench_top == 0) bench_reset();
    usize start = (bench_top + 15) & ~(usize)15;
    usize end = start + size;
    if (end < start) __builtin_trap();
    usize have = __builtin_wasm_memory_size(0) * 65536;
    if (end > have) {
        usize pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (usize)-1) __builtin_trap();
    }
    bench_top = end;
    return (void *)start;
}
#else
/* Native: a large zero-filled arena in .bss; the OS commits only the pages touched. */
#define BENCH_ARENA_SIZE ((usize)1 << 30)
static unsigned char bench_arena[BENCH_ARENA_SIZE] __attribute__((aligned(64)));
static usize bench_top;

static void bench_reset(void) { bench_top = 0; }

static void *bench_alloc(usize size) {
    usize start = (bench_top + 15) & ~(usize)15;
    if (start + size > BENCH_ARENA_SIZE) __builtin_trap();
    bench_top = start + size;
    return bench_arena + start;
}
#endif

#define bench_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define bench_memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define bench_memset(d, v, n) __builtin_memset((d), (v), (n))

/* ---- deterministic pseudo-random numbers (xorshift64*) ------------------------------------- */

typedef struct { u64 state; } Rng;

static inline Rng rng_seed(u64 seed) {
    Rng r = { seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL };
    if (r.state == 0) r.state = 1;
    return r;
}

static inline u64 rng_next(Rng *r) {
    u64 x = r->state;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    r->state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline u32 rng_u32(Rng *r) { return (u32)(rng_next(r) >> 32); }

/* Uniform double in [0, 1): 53 random bits, exact. */
static inline double rng_unit(Rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

/* ---- checksums ------------------------------------------------------------------------------ */

static inline u64 mix64(u64 h, u64 v) {
    h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    h *= 0xFF51AFD7ED558CCDULL;
    return h ^ (h >> 33);
}

static inline u64 double_bits(double d) {
    union { double d; u64 u; } x;
    x.d = d;
    return x.u;
}

static inline long long finish(u64 h) { return (long long)(h & 0x7FFFFFFFFFFFFFFFULL); }

#endif
