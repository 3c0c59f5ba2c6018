// Start-up code of the application processors (APs). Not executed in place: SMP.swift copies
// [ap_trampoline_start, ap_trampoline_end) to physical AP_TRAMPOLINE_BASE, fills in the
// parameters at the end, identity-maps that page in the kernel page tables and sends
// INIT-SIPI-SIPI with vector AP_TRAMPOLINE_BASE >> 12. The AP starts in real mode at
// CS:IP = 0x0800:0000, goes straight to long mode on the kernel's page tables and calls
// entry(cpu_number) on its own stack.

#define AP_TRAMPOLINE_BASE 0x8000
#define OFFSET(symbol) ((symbol) - ap_trampoline_start)
#define LINEAR(symbol) (AP_TRAMPOLINE_BASE + OFFSET(symbol))

  .section .rodata
  .p2align 12
  .global ap_trampoline_start, ap_trampoline_end, ap_trampoline_parameters
ap_trampoline_start:
  .code16
  cli
  cld
  movw %cs, %ax
  movw %ax, %ds
  lgdtl OFFSET(ap_gdt_pointer)

  movl %cr4, %eax
  orl $((1 << 5) | (1 << 7)), %eax             // PAE, PGE
  movl %eax, %cr4
  movl OFFSET(ap_cr3), %eax
  movl %eax, %cr3
  movl $0xC0000080, %ecx                       // EFER: LME | NXE
  rdmsr
  orl $((1 << 8) | (1 << 11)), %eax
  wrmsr
  movl %cr0, %eax                              // PE | WP | PG at once: real → long mode
  orl $((1 << 31) | (1 << 16) | 1), %eax
  movl %eax, %cr0
  ljmpl $0x08, $LINEAR(ap_long_mode)

  .code64
ap_long_mode:
  movw $0x10, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  xorw %ax, %ax
  movw %ax, %fs
  movw %ax, %gs
  movq LINEAR(ap_stack_top), %rsp
  movq LINEAR(ap_cpu_number), %rdi
  movq LINEAR(ap_entry), %rax
  xorl %ebp, %ebp
  pushq $0                                     // a null return address ends backtraces
  jmp *%rax

  .p2align 3
// Accessed bits preset: the page is mapped read-only, and the CPU would otherwise write them.
ap_gdt:
  .quad 0
  .quad 0x00AF9B000000FFFF                     // 0x08: 64-bit code
  .quad 0x00CF93000000FFFF                     // 0x10: data
ap_gdt_pointer:
  .word 3 * 8 - 1
  .long LINEAR(ap_gdt)

  .p2align 3
// Filled in by SMP.swift before each start (layout: struct ap_parameters).
ap_trampoline_parameters:
ap_cr3:        .quad 0
ap_stack_top:  .quad 0
ap_entry:      .quad 0
ap_cpu_number: .quad 0
ap_trampoline_end:
