// The C runtime under every Swift program of the Apus SDK (wasm32, no libc): the entry point
// and the few symbols Embedded Swift needs — an allocator over memory.grow and the mem*
// functions (compiled to bulk-memory instructions).
#include <stddef.h>
#include <stdint.h>

#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

WASI("proc_exit") _Noreturn void __wasi_proc_exit(uint32_t code);
WASI("random_get") uint16_t __wasi_random_get(uint8_t *buffer, size_t length);

void __wasm_call_ctors(void);
int __main_argc_argv(int argc, char **argv); // Swift's @main entry

#ifndef APUS_SERVICE
__attribute__((export_name("_start"))) void _start(void) {
    __wasm_call_ctors();
    int code = __main_argc_argv(0, 0);
    __wasi_proc_exit((uint32_t)code);
}
#else
// A service (built with -DAPUS_SERVICE, linked with --no-entry) has no _start and imports
// nothing: the kernel runs it as one instance that programs call (docs/programs.md).
#endif

// ---- memory functions ---------------------------------------------------------------------

void *memset(void *destination, int value, size_t count) {
    __builtin_memset(destination, value, count); // memory.fill
    return destination;
}

void *memcpy(void *restrict destination, const void *restrict source, size_t count) {
    __builtin_memcpy(destination, source, count); // memory.copy
    return destination;
}

void *memmove(void *destination, const void *source, size_t count) {
    __builtin_memmove(destination, source, count); // memory.copy handles overlap
    return destination;
}

int memcmp(const void *left, const void *right, size_t count) {
    const unsigned char *a = left, *b = right;
    for (size_t i = 0; i < count; i++) {
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *text) {
    size_t length = 0;
    while (text[length]) length++;
    return length;
}

void arc4random_buf(void *buffer, size_t count) { __wasi_random_get(buffer, count); }

// ---- allocator ----------------------------------------------------------------------------
// Size classes of powers of two from 16 bytes to 64 KiB, each with a free list; larger blocks
// are whole pages kept on one first-fit list. Every block has an 8-byte header holding its
// class (or page count | LARGE). Memory comes from memory.grow and is never returned: programs
// are short-lived.

#define HEADER 16u                  // keeps payloads 16-byte aligned
#define CLASSES 13                  // 16 << 12 = 64 KiB
#define PAGE 65536u
#define LARGE 0x80000000u

typedef struct Block { struct Block *next; } Block;
static Block *free_lists[CLASSES];
static Block *large_free;           // payload-less list of large blocks (header kept)
static uintptr_t arena_next, arena_end;

extern unsigned char __heap_base;

static void *grow(size_t bytes) {
    if (arena_next == 0) {
        arena_next = (uintptr_t)&__heap_base;
        arena_end = __builtin_wasm_memory_size(0) * PAGE;
    }
    if (arena_end - arena_next < bytes) {
        size_t pages = (bytes - (arena_end - arena_next) + PAGE - 1) / PAGE;
        size_t old = __builtin_wasm_memory_grow(0, pages);
        if (old == (size_t)-1) return 0;
        if (old * PAGE != arena_end) arena_next = old * PAGE; // someone else grew memory
        arena_end = (old + pages) * PAGE;
    }
    void *result = (void *)arena_next;
    arena_next += bytes;
    return result;
}

static int size_class(size_t size) {
    int index = 0;
    size_t capacity = 16;
    while (capacity < size) { capacity <<= 1; index++; }
    return index;
}

static void *allocate(size_t size) {
    if (size > (16u << (CLASSES - 1))) {
        if (size > 0x7fff0000u) return 0;
        size_t pages = (size + HEADER + PAGE - 1) / PAGE;
        for (Block **link = &large_free; *link; link = &(*link)->next) {
            uint32_t *header = (uint32_t *)*link - 4;
            if ((header[0] & ~LARGE) >= pages) {
                *link = (*link)->next;
                return header + 4;
            }
        }
        uint32_t *header = grow(pages * PAGE);
        if (!header) return 0;
        header[0] = LARGE | (uint32_t)pages;
        return header + 4;
    }
    int index = size_class(size);
    Block *block = free_lists[index];
    if (block) {
        free_lists[index] = block->next;
        return block;
    }
    uint32_t *header = grow(HEADER + (16u << index));
    if (!header) return 0;
    header[0] = (uint32_t)index;
    return header + 4;
}

void free(void *pointer) {
    if (!pointer) return;
    uint32_t *header = (uint32_t *)pointer - 4;
    Block *block = pointer;
    if (header[0] & LARGE) {
        block->next = large_free;
        large_free = block;
    } else {
        block->next = free_lists[header[0]];
        free_lists[header[0]] = block;
    }
}

void *malloc(size_t size) { return allocate(size ? size : 1); }

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment > HEADER) return 22; // EINVAL: Swift asks for at most 16 on wasm32
    void *pointer = allocate(size ? size : 1);
    if (!pointer) return 12; // ENOMEM
    *result = pointer;
    return 0;
}

void *calloc(size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) return 0;
    void *pointer = malloc(total);
    if (pointer) __builtin_memset(pointer, 0, total);
    return pointer;
}

void *realloc(void *pointer, size_t size) {
    if (!pointer) return malloc(size);
    uint32_t *header = (uint32_t *)pointer - 4;
    size_t capacity = (header[0] & LARGE) ? (size_t)(header[0] & ~LARGE) * PAGE - HEADER : (16u << header[0]);
    if (size <= capacity) return pointer;
    void *moved = malloc(size);
    if (moved) {
        __builtin_memcpy(moved, pointer, capacity);
        free(pointer);
    }
    return moved;
}

// ---- compiler builtins --------------------------------------------------------------------

// 128-bit multiplication (Swift's overflow-checked 64-bit multiply uses it); built from 32-bit
// halves so that it does not call itself.
__int128 __multi3(__int128 a, __int128 b) {
    uint64_t a_low = (uint64_t)a, a_high = (uint64_t)((unsigned __int128)a >> 64);
    uint64_t b_low = (uint64_t)b, b_high = (uint64_t)((unsigned __int128)b >> 64);
    uint64_t a0 = a_low & 0xffffffffu, a1 = a_low >> 32, b0 = b_low & 0xffffffffu, b1 = b_low >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t middle = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    uint64_t low = (middle << 32) | (p00 & 0xffffffffu);
    uint64_t high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32) + a_low * b_high + a_high * b_low;
    return (__int128)(((unsigned __int128)high << 64) | low);
}
