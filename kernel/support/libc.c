// The few C library functions an Embedded Swift image needs, plus early static storage.
// posix_memalign/free live in Swift (memory/KernelHeap.swift); putchar goes to the serial console.
// Built with -ffreestanding -fno-builtin so these loops are not turned back into calls to themselves.
#include "kernel_support.h"

void *memset(void *dst, int value, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)value;
  return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

// The kernel heap (memory/KernelMemory.swift). Swift reserves the names posix_memalign and
// free for its runtime, so the Swift side uses its own and these forward to it.
void *kernel_heap_allocate(size_t size, size_t alignment);
void kernel_heap_free(void *pointer);

int posix_memalign(void **result, size_t alignment, size_t size) {
  *result = kernel_heap_allocate(size, alignment);  // panics when memory is exhausted
  return 0;
}

void free(void *pointer) {
  if (pointer) kernel_heap_free(pointer);
}

void kernel_console_write_byte(uint8_t byte);  // Swift: log/Console.swift

int putchar(int c) {
  kernel_console_write_byte((uint8_t)c);
  return c;
}

/// Hash seeds only; not a source of secrets (the kernel has no entropy source yet).
void arc4random_buf(void *buffer, size_t n) {
  static uint64_t state = 0x9E3779B97F4A7C15ull;
  unsigned char *b = buffer;
  for (size_t i = 0; i < n; i++) {
    state ^= rdtsc();
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    b[i] = (unsigned char)(state >> 56);
  }
}

volatile uint32_t tlb_acknowledgements[64];

// ---- Early storage --------------------------------------------------------------------------
static uint64_t gdt[16] __attribute__((aligned(16)));
static uint8_t tss[104] __attribute__((aligned(16)));
static uint8_t idt[256 * 16] __attribute__((aligned(4096)));
static uint8_t ist_stacks[7][16384] __attribute__((aligned(4096)));
static uint8_t boot_percpu[4096] __attribute__((aligned(64)));

void *kernel_gdt_storage(void) { return gdt; }
void *kernel_tss_storage(void) { return tss; }
void *kernel_idt_storage(void) { return idt; }
void *kernel_ist_stack_top(uint32_t index) {
  return ist_stacks[(index - 1) % 7] + sizeof ist_stacks[0];
}
void *kernel_percpu_storage(void) { return boot_percpu; }

/// Recurses until the stack runs into its guard page (the stack-overflow test).
__attribute__((noinline)) void kernel_overflow_stack(uint64_t depth) {
  volatile uint8_t pad[512];
  pad[0] = (uint8_t)depth;
  if (depth < (1ull << 40)) kernel_overflow_stack(depth + 1);
  pad[1] = pad[0];  // keeps the call from being a tail call
}

// The assembly uses fixed offsets (kernel_layout.h); keep them in step with the structs.
_Static_assert(offsetof(cpu_local, kernel_stack_top) == CPU_LOCAL_KERNEL_STACK_TOP, "cpu_local");
_Static_assert(offsetof(cpu_local, user_rsp) == CPU_LOCAL_USER_RSP, "cpu_local");
_Static_assert(offsetof(cpu_local, tss) == CPU_LOCAL_TSS, "cpu_local");
_Static_assert(offsetof(trap_frame, vector) == TRAP_FRAME_VECTOR, "trap_frame");
_Static_assert(offsetof(trap_frame, rip) == TRAP_FRAME_RIP, "trap_frame");
_Static_assert(offsetof(trap_frame, cs) == TRAP_FRAME_CS, "trap_frame");
_Static_assert(offsetof(trap_frame, rflags) == TRAP_FRAME_RFLAGS, "trap_frame");
_Static_assert(offsetof(trap_frame, rsp) == TRAP_FRAME_RSP, "trap_frame");
_Static_assert(sizeof(trap_frame) == TRAP_FRAME_SIZE, "trap_frame");
_Static_assert(sizeof(cpu_local) <= 4096, "cpu_local");
