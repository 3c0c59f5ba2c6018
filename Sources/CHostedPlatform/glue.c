// Hosted-platform glue: trap handling with POSIX signals, CPUID, thread-locals, stack bounds.
// See CHostedPlatform.h for why each piece lives in C.
#define _GNU_SOURCE
#include "CHostedPlatform.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

// ---------------------------------------------------------------------------------------
// CPUID

int apus_cpuid(uint32_t leaf, uint32_t subleaf, apus_cpuid_result *result) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    // __get_cpuid_count checks the maximum supported leaf first, so an unsupported leaf
    // returns 0 instead of garbage.
    if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) return 0;
    result->eax = a; result->ebx = b; result->ecx = c; result->edx = d;
    if (leaf == 1 && (c & (1u << 27))) {
        // OSXSAVE: the OS manages XCR0. Report AVX (and FMA, F16C, which use its registers)
        // only if the OS saves the SSE and AVX state (XCR0 bits 1 and 2) on context switches.
        uint32_t low, high;
        __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
        if ((low & 6) != 6) result->ecx &= ~((1u << 28) | (1u << 12) | (1u << 29));
    }
    return 1;
#else
    (void)leaf; (void)subleaf; (void)result;
    return 0;
#endif
}

// ---------------------------------------------------------------------------------------
// Thread-locals. initial-exec TLS is a fixed offset from the thread pointer: reading it in a
// signal handler never allocates (unlike lazily allocated dynamic TLS).

static __thread __attribute__((tls_model("initial-exec"))) void *current_activation;
static __thread __attribute__((tls_model("initial-exec"))) int has_signal_stack;

void *apus_current_activation(void) { return current_activation; }

void apus_set_current_activation(void *activation) {
    if (activation && !has_signal_stack) apus_ensure_signal_stack();
    // The signal handler runs on this thread only; a compiler barrier keeps the store ordered
    // before the wasm code that may fault.
    atomic_signal_fence(memory_order_seq_cst);
    current_activation = activation;
    atomic_signal_fence(memory_order_seq_cst);
}

// ---------------------------------------------------------------------------------------
// Signal stacks: a fault must be handled even when the thread's stack is unusable.

#define SIGNAL_STACK_SIZE (256 * 1024)
static pthread_key_t signal_stack_key;
static pthread_once_t signal_stack_key_once = PTHREAD_ONCE_INIT;

static void free_signal_stack(void *stack) {
    stack_t disable = {.ss_flags = SS_DISABLE};
    sigaltstack(&disable, NULL);
    munmap(stack, SIGNAL_STACK_SIZE);
}

static void make_signal_stack_key(void) { pthread_key_create(&signal_stack_key, free_signal_stack); }

int apus_ensure_signal_stack(void) {
    if (has_signal_stack) return 0;
    stack_t existing;
    if (sigaltstack(NULL, &existing) == 0 && !(existing.ss_flags & SS_DISABLE) &&
        existing.ss_size >= SIGNAL_STACK_SIZE) {
        has_signal_stack = 1;  // someone else's (large enough) stack: keep it
        return 0;
    }
    void *memory = mmap(NULL, SIGNAL_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return -1;
    stack_t stack = {.ss_sp = memory, .ss_size = SIGNAL_STACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&stack, NULL) != 0) {
        munmap(memory, SIGNAL_STACK_SIZE);
        return -1;
    }
    pthread_once(&signal_stack_key_once, make_signal_stack_key);
    pthread_setspecific(signal_stack_key, memory);  // freed when the thread exits
    has_signal_stack = 1;
    return 0;
}

// ---------------------------------------------------------------------------------------
// Code registry. Writers (register/unregister) take a mutex; the signal handler reads without
// locking: each slot holds an atomic pointer to an immutable record, published with release
// and read with acquire. A record is freed only on unregister, which the runtime does after
// the code can no longer run.

typedef struct code_record {
    uintptr_t start;
    size_t size;
    const uint32_t *trap_offsets;
    const uint32_t *trap_kinds;
    size_t trap_count;
    uintptr_t trap_exit;
} code_record;

#define CODE_SLOTS 65536
static _Atomic(code_record *) code_slots[CODE_SLOTS];
static _Atomic size_t code_slot_high_water;  // slots at or above are all empty
static pthread_mutex_t code_mutex = PTHREAD_MUTEX_INITIALIZER;

int apus_register_code(const void *start, size_t size, const uint32_t *trap_offsets,
                       const uint32_t *trap_kinds, size_t trap_count, const void *trap_exit) {
    code_record *record = malloc(sizeof *record);
    if (!record) return -1;
    *record = (code_record){(uintptr_t)start, size, trap_offsets, trap_kinds, trap_count, (uintptr_t)trap_exit};
    pthread_mutex_lock(&code_mutex);
    size_t high = atomic_load_explicit(&code_slot_high_water, memory_order_relaxed);
    for (size_t slot = 0; slot < CODE_SLOTS; slot++) {
        if (atomic_load_explicit(&code_slots[slot], memory_order_relaxed) == NULL) {
            atomic_store_explicit(&code_slots[slot], record, memory_order_release);
            if (slot >= high) atomic_store_explicit(&code_slot_high_water, slot + 1, memory_order_release);
            pthread_mutex_unlock(&code_mutex);
            return 0;
        }
    }
    pthread_mutex_unlock(&code_mutex);
    free(record);
    return -1;
}

void apus_unregister_code(const void *start) {
    pthread_mutex_lock(&code_mutex);
    size_t high = atomic_load_explicit(&code_slot_high_water, memory_order_relaxed);
    for (size_t slot = 0; slot < high; slot++) {
        code_record *record = atomic_load_explicit(&code_slots[slot], memory_order_relaxed);
        if (record && record->start == (uintptr_t)start) {
            atomic_store_explicit(&code_slots[slot], NULL, memory_order_release);
            free(record);
            break;
        }
    }
    while (high > 0 && atomic_load_explicit(&code_slots[high - 1], memory_order_relaxed) == NULL) high--;
    atomic_store_explicit(&code_slot_high_water, high, memory_order_release);
    pthread_mutex_unlock(&code_mutex);
}

// Async-signal-safe: atomic loads and arithmetic only.
static const code_record *find_code(uintptr_t pc) {
    size_t high = atomic_load_explicit(&code_slot_high_water, memory_order_acquire);
    for (size_t slot = 0; slot < high; slot++) {
        const code_record *record = atomic_load_explicit(&code_slots[slot], memory_order_acquire);
        if (record && pc >= record->start && pc - record->start < record->size) return record;
    }
    return NULL;
}

static uint32_t trap_kind_in(const code_record *record, uintptr_t pc) {
    uintptr_t offset = pc - record->start;
    size_t low = 0, high = record->trap_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (record->trap_offsets[middle] < offset) low = middle + 1; else high = middle;
    }
    if (low < record->trap_count && record->trap_offsets[low] == offset) return record->trap_kinds[low];
    return 0;
}

uint32_t apus_trap_kind_at(uintptr_t pc) {
    const code_record *record = find_code(pc);
    return record ? trap_kind_in(record, pc) : 0;
}

// ---------------------------------------------------------------------------------------
// Trap handler

// TrapKind raw values (VMLayout.swift) the handler must distinguish.
enum { TRAP_MEMORY_OUT_OF_BOUNDS = 2, TRAP_INTEGER_DIVIDE_BY_ZERO = 4, TRAP_INTEGER_OVERFLOW = 5 };

static const int trap_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
#define TRAP_SIGNAL_COUNT 4
static struct sigaction previous_actions[TRAP_SIGNAL_COUNT];

static int signal_accepts(int signo, uint32_t kind) {
    switch (signo) {
    case SIGSEGV:
    case SIGBUS: return kind == TRAP_MEMORY_OUT_OF_BOUNDS;  // a guard-region memory access
    case SIGILL: return kind != 0;                          // a ud2 trap instruction
    case SIGFPE: return kind == TRAP_INTEGER_DIVIDE_BY_ZERO || kind == TRAP_INTEGER_OVERFLOW;
    default: return 0;
    }
}

/// Records the wasm frames: the faulting pc, then the return addresses found by following
/// the frame-pointer chain while it stays between the fault's stack pointer and the
/// activation's entry stack pointer and the addresses are in registered code.
static void record_backtrace(apus_activation *activation, uintptr_t pc, uintptr_t fp, uintptr_t sp) {
    uint32_t count = 0;
    activation->backtrace[count++] = pc;
    uintptr_t limit = activation->entry_stack_pointer;
    while (count < APUS_BACKTRACE_CAPACITY && fp >= sp && fp + 16 <= limit && (fp & 7) == 0) {
        const uintptr_t *frame = (const uintptr_t *)fp;
        uintptr_t return_address = frame[1];
        if (!find_code(return_address)) break;
        activation->backtrace[count++] = return_address;
        if (frame[0] <= fp) break;  // the chain must go up the stack
        fp = frame[0];
    }
    activation->backtrace_count = count;
}

static void forward_to_previous(int signo, siginfo_t *info, void *context) {
    int index = 0;
    while (index < TRAP_SIGNAL_COUNT && trap_signals[index] != signo) index++;
    if (index == TRAP_SIGNAL_COUNT) return;
    struct sigaction *previous = &previous_actions[index];
    if (previous->sa_flags & SA_SIGINFO) {
        previous->sa_sigaction(signo, info, context);
    } else if (previous->sa_handler == SIG_DFL || previous->sa_handler == SIG_IGN) {
        // Restore the default action and return: the faulting instruction runs again and the
        // process dies of the signal as it would have without us.
        signal(signo, SIG_DFL);
    } else {
        previous->sa_handler(signo);
    }
}

static void trap_handler(int signo, siginfo_t *info, void *raw_context) {
#if defined(__x86_64__)
    ucontext_t *context = raw_context;
    greg_t *registers = context->uc_mcontext.gregs;
    uintptr_t pc = (uintptr_t)registers[REG_RIP];
    apus_activation *activation = current_activation;
    if (activation) {
        const code_record *record = find_code(pc);
        if (record) {
            uint32_t kind = trap_kind_in(record, pc);
            if (signal_accepts(signo, kind)) {
                activation->trap_kind = kind;
                activation->faulting_pc = pc;
                activation->faulting_frame_pointer = (uint64_t)registers[REG_RBP];
                record_backtrace(activation, pc, (uintptr_t)registers[REG_RBP], (uintptr_t)registers[REG_RSP]);
                // Resume at the trap exit as if the entry trampoline returned `kind`.
                registers[REG_RIP] = (greg_t)record->trap_exit;
                registers[REG_RSP] = (greg_t)activation->entry_stack_pointer;
                registers[REG_RAX] = (greg_t)kind;
                return;
            }
        }
    }
#endif
    forward_to_previous(signo, info, raw_context);
}

static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;
static int handlers_result = -1;

static void install_handlers(void) {
    for (int index = 0; index < TRAP_SIGNAL_COUNT; index++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = trap_handler;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        if (sigaction(trap_signals[index], &action, &previous_actions[index]) != 0) return;
    }
    handlers_result = 0;
}

int apus_install_trap_handlers(void) {
    pthread_once(&handlers_once, install_handlers);
    return handlers_result;
}

// ---------------------------------------------------------------------------------------
// Stacks

uintptr_t apus_stack_pointer(void) { return (uintptr_t)__builtin_frame_address(0); }

// Cached per thread: on the main thread glibc computes the bounds by reading /proc/self/maps.
static __thread uintptr_t cached_stack_low, cached_stack_high;

int apus_stack_bounds(uintptr_t *low, uintptr_t *high) {
    if (cached_stack_high != 0) {
        *low = cached_stack_low;
        *high = cached_stack_high;
        return 0;
    }
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0) return -1;
    void *address = NULL;
    size_t size = 0;
    int result = pthread_attr_getstack(&attributes, &address, &size);
    pthread_attr_destroy(&attributes);
    if (result != 0) return -1;
    cached_stack_low = *low = (uintptr_t)address;
    cached_stack_high = *high = (uintptr_t)address + size;
    return 0;
}
