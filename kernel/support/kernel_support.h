// Hardware access for the Swift kernel: tiny `static inline` wrappers around single instructions,
// the C layouts the assembly stubs share with Swift, and storage that must exist before the heap.
// Imported into Swift with `-import-objc-header`; everything here is header-only except the
// storage accessors, which are defined in libc.c.
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "kernel_layout.h"

// ---- Port I/O -------------------------------------------------------------------------------
static inline void outb(uint16_t port, uint8_t value) {
  __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
  uint8_t value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}
static inline void outl(uint16_t port, uint32_t value) {
  __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

// ---- CPU state ------------------------------------------------------------------------------
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t value) {
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

/// Result of one CPUID query.
typedef struct {
  uint32_t eax, ebx, ecx, edx;
} cpuid_result;

static inline cpuid_result cpuid(uint32_t leaf, uint32_t subleaf) {
  cpuid_result r;
  __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                   : "a"(leaf), "c"(subleaf));
  return r;
}

static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline uint64_t read_rflags(void) { uint64_t v; __asm__ volatile("pushfq; popq %0" : "=r"(v)); return v; }
static inline uint64_t read_rbp(void) { uint64_t v; __asm__ volatile("mov %%rbp, %0" : "=r"(v)); return v; }
static inline uint64_t read_rsp(void) { uint64_t v; __asm__ volatile("mov %%rsp, %0" : "=r"(v)); return v; }

static inline void invlpg(uint64_t address) {
  __asm__ volatile("invlpg (%0)" : : "r"(address) : "memory");
}
static inline uint32_t mmio_read32(uint64_t address) { return *(volatile uint32_t *)address; }
static inline void mmio_write32(uint64_t address, uint32_t value) { *(volatile uint32_t *)address = value; }
static inline uint8_t mmio_read8(uint64_t address) { return *(volatile uint8_t *)address; }
static inline void mmio_write8(uint64_t address, uint8_t value) { *(volatile uint8_t *)address = value; }
static inline uint16_t mmio_read16(uint64_t address) { return *(volatile uint16_t *)address; }
static inline void mmio_write16(uint64_t address, uint16_t value) { *(volatile uint16_t *)address = value; }
// Orders the CPU's memory accesses (virtqueue rings shared with a device: descriptors before
// the index that publishes them, the used index before the entries it covers).
static inline void memory_fence(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline void breakpoint(void) { __asm__ volatile("int3"); }
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cpu_halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void interrupts_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void interrupts_enable(void) { __asm__ volatile("sti" ::: "memory"); }
/// Enables interrupts and halts atomically (STI's one-instruction shadow covers HLT), so a
/// wake-up interrupt cannot slip in between.
static inline void interrupts_enable_and_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void compiler_barrier(void) { __asm__ volatile("" ::: "memory"); }

/// Spinlock word operations (the lock itself is Swift's `Spinlock`).
static inline int spin_try_acquire(volatile uint32_t *word) {
  return __atomic_exchange_n(word, 1, __ATOMIC_ACQUIRE) == 0;
}
static inline int spin_is_held(volatile uint32_t *word) { return __atomic_load_n(word, __ATOMIC_RELAXED) != 0; }
static inline void spin_release(volatile uint32_t *word) { __atomic_store_n(word, 0, __ATOMIC_RELEASE); }
static inline uint32_t atomic_increment_u32(volatile uint32_t *word) {
  return __atomic_add_fetch(word, 1, __ATOMIC_SEQ_CST);
}
static inline uint32_t atomic_load_u32(volatile uint32_t *word) { return __atomic_load_n(word, __ATOMIC_SEQ_CST); }

// ---- Per-CPU block ----------------------------------------------------------------------------
/// The block GS points at in kernel mode (the user's GS base is swapped in by SWAPGS on the way
/// out). The assembly entry paths (traps.S, user.S) use the fixed offsets below.
typedef struct cpu_local {
  uint32_t number;              // 0: CPU number (0 = boot CPU)
  uint32_t apic_id;             // 4
  struct cpu_local *self;       // 8: the block's own address (GS-relative reads → pointer)
  uint64_t kernel_stack_top;    // 16: stack for entries from user mode (the running task's)
  uint64_t user_rsp;            // 24: user stack pointer, saved at SYSCALL entry
  uint64_t tss;                 // 32: this CPU's TSS (RSP0 follows kernel_stack_top)
  uint64_t current_task;        // 40: the running task (Swift object bits; 0 = idle context)
  uint64_t kernel_fault_depth;  // 48: kernel-mode page faults being handled (nesting check)
  uint64_t reserved[9];
} cpu_local;

static inline uint32_t current_cpu_number(void) {
  uint32_t v;
  __asm__ volatile("movl %%gs:0, %0" : "=r"(v));
  return v;
}
static inline cpu_local *current_cpu_local(void) {
  cpu_local *v;
  __asm__ volatile("movq %%gs:8, %0" : "=r"(v));
  return v;
}

// ---- FPU/SSE state and user-memory access ---------------------------------------------------
static inline void fpu_fxsave(void *area) { __asm__ volatile("fxsaveq (%0)" : : "r"(area) : "memory"); }
static inline void fpu_fxrstor(const void *area) { __asm__ volatile("fxrstorq (%0)" : : "r"(area) : "memory"); }
static inline void fpu_xsave(void *area, uint64_t mask) {
  __asm__ volatile("xsaveq (%0)" : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}
static inline void fpu_xrstor(const void *area, uint64_t mask) {
  __asm__ volatile("xrstorq (%0)" : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}
static inline void fpu_init(void) { __asm__ volatile("fninit" ::: "memory"); }
static inline void write_xcr0(uint64_t value) {
  __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}
static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }

/// Set by the kernel when SMAP is on; the user-copy routines (user.S) only then use STAC/CLAC.
extern uint8_t smap_enabled;
static inline void set_smap_enabled(uint8_t on) { smap_enabled = on; }
/// Allows supervisor access to user pages (SMAP) until `user_access_end`.
static inline void user_access_begin(void) { if (smap_enabled) __asm__ volatile("stac" ::: "memory", "cc"); }
static inline void user_access_end(void) { if (smap_enabled) __asm__ volatile("clac" ::: "memory", "cc"); }

/// Copies `n` bytes between kernel and user memory (either direction; the caller validated that
/// the user range lies in the user half). Returns the number of bytes NOT copied: non-zero when
/// a user page is missing (the page-fault handler resumes at the routine's fix-up).
uint64_t user_copy(void *destination, const void *source, uint64_t n);
/// The instruction range of `user_copy` that may fault on a user address, and its fix-up.
extern char user_copy_fault_start[], user_copy_fault_end[], user_copy_fixup[];
static inline uint64_t user_copy_fault_start_address(void) { return (uint64_t)user_copy_fault_start; }
static inline uint64_t user_copy_fault_end_address(void) { return (uint64_t)user_copy_fault_end; }
static inline uint64_t user_copy_fixup_address(void) { return (uint64_t)user_copy_fixup; }

// ---- Tasks (user.S) -------------------------------------------------------------------------
/// Saves the callee-saved registers and the stack pointer in *save_rsp, switches to new_rsp and
/// pops the registers saved there; "returns" in the other task.
void context_switch(uint64_t *save_rsp, uint64_t new_rsp);
/// Where a new task's first context switch returns to: calls kernel_task_entry, then leaves for
/// user mode through the trap frame at the top of the task's kernel stack.
extern char task_start[];
static inline uint64_t task_start_address(void) { return (uint64_t)task_start; }
/// Runs user code as a call from kernel mode (user.S); returns what user_call_resume passes.
uint64_t user_call_enter(uint64_t *saved_rsp, const void *user_frame, uint64_t *entry_top);
void user_call_resume(uint64_t saved_rsp, uint64_t result) __attribute__((noreturn));
/// SYSCALL entry point (LSTAR).
extern char syscall_entry[];
static inline uint64_t syscall_entry_address(void) { return (uint64_t)syscall_entry; }

/// Flat user programs assembled into the kernel for tests (user_programs.S): a table of
/// `user_program_count` entries.
typedef struct {
  const char *name;
  const uint8_t *start;
  uint64_t size;
} user_program;
extern const user_program user_programs[];
extern const uint64_t user_program_count;
static inline const user_program *user_program_table(void) { return user_programs; }
/// A stand-in for a compiled module (user_programs.S): a header of 13 offsets, then code.
extern const uint8_t activation_blob_start[], activation_blob_end[];
static inline const uint8_t *activation_blob(void) { return activation_blob_start; }
static inline uint64_t activation_blob_size(void) { return (uint64_t)(activation_blob_end - activation_blob_start); }

/// Pointer operand of LGDT/LIDT.
typedef struct __attribute__((packed)) {
  uint16_t limit;
  uint64_t base;
} descriptor_table_pointer;

static inline void load_gdt(const descriptor_table_pointer *p) { __asm__ volatile("lgdt (%0)" : : "r"(p) : "memory"); }
static inline void load_idt(const descriptor_table_pointer *p) { __asm__ volatile("lidt (%0)" : : "r"(p) : "memory"); }
static inline void load_task_register(uint16_t selector) { __asm__ volatile("ltr %0" : : "r"(selector)); }

/// Reloads CS (far return) and the data segment registers after a new GDT is loaded.
static inline void reload_segments(uint16_t code, uint16_t data) {
  __asm__ volatile(
      "pushq %q0\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1:\n"
      "movw %w1, %%ds\n"
      "movw %w1, %%es\n"
      "movw %w1, %%ss\n"
      : : "r"((uint64_t)code), "r"(data) : "rax", "memory");
}

/// Deliberately recurses without bound (the stack-overflow test; frame pointers keep each frame).
void kernel_overflow_stack(uint64_t depth);

// ---- Traps ----------------------------------------------------------------------------------
/// Register state saved by the trap stubs in traps.S, lowest address first.
typedef struct {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  // Pushed by the CPU.
  uint64_t rip, cs, rflags, rsp, ss;
} trap_frame;

/// Entry stubs of the 256 interrupt vectors (traps.S), 16 bytes apart.
extern char trap_stubs[];
static inline uint64_t trap_stub_address(uint32_t vector) { return (uint64_t)trap_stubs + 16 * (uint64_t)vector; }

// ---- Linker-script symbols (linker.ld), as addresses ------------------------------------------
extern char __kernel_start[], __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[], __bss_end[], __stack_guard[], __boot_stack_bottom[], __boot_stack_top[], __ksyms_start[], __kernel_end[];
static inline uint64_t linker_kernel_start(void) { return (uint64_t)__kernel_start; }
static inline uint64_t linker_text_start(void) { return (uint64_t)__text_start; }
static inline uint64_t linker_text_end(void) { return (uint64_t)__text_end; }
static inline uint64_t linker_rodata_start(void) { return (uint64_t)__rodata_start; }
static inline uint64_t linker_rodata_end(void) { return (uint64_t)__rodata_end; }
static inline uint64_t linker_data_start(void) { return (uint64_t)__data_start; }
static inline uint64_t linker_bss_end(void) { return (uint64_t)__bss_end; }
static inline uint64_t linker_stack_guard(void) { return (uint64_t)__stack_guard; }
static inline uint64_t linker_boot_stack_bottom(void) { return (uint64_t)__boot_stack_bottom; }
static inline uint64_t linker_boot_stack_top(void) { return (uint64_t)__boot_stack_top; }
static inline uint64_t linker_ksyms_start(void) { return (uint64_t)__ksyms_start; }
static inline uint64_t linker_kernel_end(void) { return (uint64_t)__kernel_end; }
/* The end of the low string-literal window (linker.ld): a small absolute address. */
extern char __lowstr_end[];
static inline uint64_t linker_lowstr_end(void) { return (uint64_t)__lowstr_end; }

// ---- Early storage (defined in libc.c), needed before the heap exists -----------------------
void *kernel_gdt_storage(void);   // 16 descriptors
void *kernel_tss_storage(void);   // 104-byte TSS
void *kernel_idt_storage(void);   // 256 × 16 bytes
void *kernel_ist_stack_top(uint32_t index);  // index 1...7, 16 KiB each
void *kernel_percpu_storage(void);  // the boot CPU's per-CPU block

// ---- AP start-up (ap_trampoline.S) ----------------------------------------------------------
#define AP_TRAMPOLINE_BASE 0x8000

/// Parameters at the end of the trampoline, written by the BSP before each start.
typedef struct {
  uint64_t cr3;
  uint64_t stack_top;
  uint64_t entry;
  uint64_t cpu_number;
} ap_parameters;

extern char ap_trampoline_start[], ap_trampoline_end[], ap_trampoline_parameters[];
static inline uint64_t ap_trampoline_address(void) { return (uint64_t)ap_trampoline_start; }
static inline uint64_t ap_trampoline_size(void) { return (uint64_t)(ap_trampoline_end - ap_trampoline_start); }
static inline uint64_t ap_trampoline_parameters_offset(void) {
  return (uint64_t)(ap_trampoline_parameters - ap_trampoline_start);
}

/// Entry of an AP in the kernel (SMP.swift).
void kernel_ap_main(uint64_t cpu_number);
static inline uint64_t kernel_ap_main_address(void) { return (uint64_t)kernel_ap_main; }

// ---- Symbol table emitted by the build (ksyms.S) --------------------------------------------
/// One function: start address and offset of its NUL-terminated name in kernel_symbol_names.
typedef struct {
  uint64_t address;
  uint32_t name_offset;
  uint32_t reserved;
} kernel_symbol;

extern const uint64_t kernel_symbol_count;
extern const kernel_symbol kernel_symbols[];
extern const char kernel_symbol_names[];

static inline const kernel_symbol *kernel_symbol_table(void) { return kernel_symbols; }
static inline const char *kernel_symbol_name_table(void) { return kernel_symbol_names; }

/// TLB shootdown acknowledgements, one per CPU (arch/x86_64/TLB.swift).
extern volatile uint32_t tlb_acknowledgements[64];
static inline uint32_t tlb_acknowledged(uint32_t cpu) { return __atomic_load_n(&tlb_acknowledgements[cpu & 63], __ATOMIC_SEQ_CST); }
static inline void tlb_acknowledge(uint32_t cpu, uint32_t generation) {
  __atomic_store_n(&tlb_acknowledgements[cpu & 63], generation, __ATOMIC_SEQ_CST);
}
static inline void spin_release_value_u32(volatile uint32_t *word, uint32_t value) {
  __atomic_store_n(word, value, __ATOMIC_SEQ_CST);
}
static inline void outw(uint16_t port, uint16_t value) {
  __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}
