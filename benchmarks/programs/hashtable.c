/* Open-addressing hash table (linear probing, tombstones) with 32-bit keys and values:
 * n operations mixing inserts, lookups and deletes over a key space that keeps it busy. */
#include "bench.h"

#define EMPTY 0u
#define TOMB 1u

typedef struct { u32 key; u32 value; } Slot;

static inline u32 hash32(u32 x) {
    x ^= x >> 16; x *= 0x7FEB352Du; x ^= x >> 15; x *= 0x846CA68Bu; x ^= x >> 16;
    return x;
}

BENCH_ENTRY {
    bench_reset();
    const u32 capacity = n >= 100000 ? 1u << 20 : 1u << 12; /* 8 MiB of slots; at most half live */
    const u32 mask = capacity - 1;
    Slot *slots = bench_alloc(capacity * sizeof(Slot));
    bench_memset(slots, 0, capacity * sizeof(Slot));
    Rng rng = rng_seed(7);
    u64 h = 0;
    u32 live = 0, hits = 0;
    const u32 key_space = n >= 100000 ? 900000 : 3000;
    for (int op = 0; op < n; op++) {
        u64 r = rng_next(&rng);
        u32 key = (u32)(r % key_space) + 2; /* keys 0 and 1 mark empty and deleted slots */
        u32 kind = (u32)(r >> 60);           /* 0..15 */
        u32 i = hash32(key) & mask;
        u32 tomb = capacity;
        for (;;) {
            u32 k = slots[i].key;
            if (k == key) break;
            if (k == EMPTY) break;
            if (k == TOMB && tomb == capacity) tomb = i;
            i = (i + 1) & mask;
        }
        int found = slots[i].key == key;
        if (kind < 6) { /* insert or update */
            if (found) slots[i].value += (u32)op;
            else if (live < capacity / 2) {
                u32 at = tomb != capacity ? tomb : i;
                slots[at].key = key;
                slots[at].value = (u32)op;
                live++;
            }
        } else if (kind < 14) { /* lookup */
            if (found) { hits++; h = mix64(h, slots[i].value); }
        } else if (found) { /* delete */
            slots[i].key = TOMB;
            live--;
        }
    }
    h = mix64(h, live);
    h = mix64(h, hits);
    return finish(h);
}
