/* Linked structures: binary trees built and walked (allocation + pointer chasing, the Benchmarks
 * Game model with a bump allocator), and a shuffled singly linked list traversed repeatedly.
 * n is the maximum tree depth. */
#include "bench.h"

typedef struct Tree { struct Tree *left, *right; u32 value; } Tree;
typedef struct Node { struct Node *next; u32 value; } Node;

static Tree *build(u32 depth, u32 value) {
    Tree *t = bench_alloc(sizeof(Tree));
    t->value = value;
    if (depth == 0) { t->left = t->right = 0; return t; }
    t->left = build(depth - 1, value * 2);
    t->right = build(depth - 1, value * 2 + 1);
    return t;
}

static u64 walk(const Tree *t) {
    if (!t->left) return t->value;
    return (u64)t->value + walk(t->left) * 3 + walk(t->right);
}

BENCH_ENTRY {
    bench_reset();
    u32 max_depth = n < 4 ? 4 : (u32)n;
    u64 h = 0;
    for (u32 depth = 4; depth <= max_depth; depth += 2) {
        u32 iterations = 1u << (max_depth - depth + 4);
        u64 sum = 0;
        for (u32 i = 0; i < iterations; i++) {
            usize mark = bench_top; /* each tree is dropped by rewinding the allocator */
            sum += walk(build(depth, i));
            bench_top = mark;
        }
        h = mix64(h, sum);
    }
    /* A list of 2^(depth-2) nodes, linked in a random order (Fisher-Yates), walked 16 times. */
    u32 count = 1u << (max_depth - 2);
    Node *nodes = bench_alloc(count * sizeof(Node));
    u32 *order = bench_alloc(count * sizeof(u32));
    Rng rng = rng_seed(max_depth);
    for (u32 i = 0; i < count; i++) { order[i] = i; nodes[i].value = rng_u32(&rng); }
    for (u32 i = count - 1; i > 0; i--) {
        u32 j = (u32)(rng_next(&rng) % (i + 1));
        u32 t = order[i]; order[i] = order[j]; order[j] = t;
    }
    for (u32 i = 0; i + 1 < count; i++) nodes[order[i]].next = &nodes[order[i + 1]];
    nodes[order[count - 1]].next = 0;
    for (int pass = 0; pass < 16; pass++) {
        u64 acc = (u64)pass;
        for (const Node *p = &nodes[order[0]]; p; p = p->next) acc = acc * 33 + p->value;
        h = mix64(h, acc);
    }
    return finish(h);
}
