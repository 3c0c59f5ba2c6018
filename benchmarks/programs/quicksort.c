/* Quicksort (median-of-three, insertion sort for small ranges) of n pseudo-random 32-bit keys,
 * then a check that the result is sorted. */
#include "bench.h"

static void insertion_sort(u32 *a, i32 lo, i32 hi) {
    for (i32 i = lo + 1; i <= hi; i++) {
        u32 v = a[i];
        i32 j = i - 1;
        while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

static inline void swap(u32 *a, i32 i, i32 j) { u32 t = a[i]; a[i] = a[j]; a[j] = t; }

static void quicksort(u32 *a, i32 lo, i32 hi) {
    while (hi - lo > 16) {
        i32 mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(a, mid, lo);
        if (a[hi] < a[lo]) swap(a, hi, lo);
        if (a[hi] < a[mid]) swap(a, hi, mid);
        u32 pivot = a[mid];
        i32 i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) { swap(a, i, j); i++; j--; }
        }
        /* Recurse into the smaller half, loop on the larger: bounded stack depth. */
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else { quicksort(a, i, hi); hi = j; }
    }
    insertion_sort(a, lo, hi);
}

BENCH_ENTRY {
    bench_reset();
    if (n < 1) n = 1;
    u32 *a = bench_alloc((usize)n * sizeof(u32));
    Rng rng = rng_seed((u64)n);
    for (i32 i = 0; i < n; i++) a[i] = rng_u32(&rng) % 1000000007u;
    quicksort(a, 0, n - 1);
    u64 h = 0;
    u32 unsorted = 0;
    for (i32 i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i]) unsorted++;
        if ((i & 1023) == 0) h = mix64(h, a[i]);
    }
    h = mix64(h, a[n - 1]);
    h = mix64(h, unsorted);
    return finish(h);
}
