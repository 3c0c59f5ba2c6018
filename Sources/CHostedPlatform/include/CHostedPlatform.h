#pragma once
// C glue for the hosted (Linux) platform: the pieces Swift cannot express safely.
//  - The trap handler runs inside a signal handler, where only async-signal-safe code may
//    run: no allocation, no locks, no Swift runtime calls (retain/release, exclusivity
//    checks). It is therefore plain C that only reads memory the runtime registered.
//  - ucontext_t register access (REG_RIP/REG_RSP/…) is a C union/array API.
//  - CPUID needs the `cpuid` instruction (<cpuid.h>).
//  - The current activation is a thread-local that the signal handler reads; Swift has no
//    thread-local storage usable from a signal handler.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Capacity of the backtrace buffer in an activation (ActivationRecordLayout.backtraceCapacity).
#define APUS_BACKTRACE_CAPACITY 64

/// Mirror of WasmRuntime's ActivationRecordLayout (a test checks the offsets agree).
typedef struct apus_activation {
    uint64_t entry_stack_pointer;          // written by the entry trampoline
    struct apus_activation *previous;      // enclosing activation of this thread
    uint32_t trap_kind;                    // TrapKind raw value, 0 = none
    uint32_t backtrace_count;
    uint64_t faulting_pc;
    uint64_t faulting_frame_pointer;
    uint64_t backtrace[APUS_BACKTRACE_CAPACITY];
} apus_activation;

typedef struct apus_cpuid_result {
    uint32_t eax, ebx, ecx, edx;
} apus_cpuid_result;

/// Executes `cpuid`; returns 0 if the leaf is not supported (or not on x86_64).
int apus_cpuid(uint32_t leaf, uint32_t subleaf, apus_cpuid_result *result);

/// The calling thread's innermost activation (see WasmRuntime's Platform.currentActivation).
void *apus_current_activation(void);
/// Sets the thread's current activation; also gives the thread its signal stack on first use.
void apus_set_current_activation(void *activation);

/// Installs the SIGSEGV/SIGBUS/SIGILL/SIGFPE handlers once per process (idempotent,
/// thread-safe). Returns 0 on success.
int apus_install_trap_handlers(void);
/// Gives the calling thread an alternate signal stack if it has none. Returns 0 on success.
int apus_ensure_signal_stack(void);

/// Registers compiled code for the trap handler. `trap_offsets` (ascending) and `trap_kinds`
/// have `trap_count` entries and must stay valid until unregistered. Returns 0 on success.
int apus_register_code(const void *start, size_t size, const uint32_t *trap_offsets,
                       const uint32_t *trap_kinds, size_t trap_count, const void *trap_exit);
void apus_unregister_code(const void *start);

/// The trap kind of the trap site at `pc` in registered code, or 0 (used by tests).
uint32_t apus_trap_kind_at(uintptr_t pc);

/// Approximately the caller's stack pointer.
uintptr_t apus_stack_pointer(void);
/// The calling thread's stack bounds `[low, high)`. Returns 0 on success.
int apus_stack_bounds(uintptr_t *low, uintptr_t *high);

#ifdef __cplusplus
}
#endif
