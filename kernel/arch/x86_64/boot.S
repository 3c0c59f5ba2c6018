// PVH boot path: QEMU (`-kernel`) finds the Xen PVH note, loads the ELF at its physical
// addresses and jumps to pvh_start in 32-bit protected mode, paging off, %ebx = physical
// address of the hvm_start_info. We enable PAE + long mode + NX with boot page tables that map
//   - the first 1 GiB at virtual 0 (identity, only for the jump into long mode),
//   - the first 4 GiB at DIRECT_MAP_BASE (the direct map of physical memory),
//   - the first 1 GiB at KERNEL_VIRTUAL_BASE (where the kernel is linked),
// then call kernel_main(start_info_physical) on the boot stack. The Swift kernel replaces these
// tables with its own (memory/KernelAddressSpace.swift).

#define KERNEL_VIRTUAL_BASE 0xFFFFFFFF80000000
#define PHYS(symbol) ((symbol) - KERNEL_VIRTUAL_BASE)

#define PTE_PRESENT   0x1
#define PTE_WRITABLE  0x2
#define PTE_HUGE      0x80

// ---- PVH ELF note (must be 4-byte aligned: QEMU 7.2 ignores an 8-aligned note) ---------------
  .section .note.Xen, "a", @note
  .p2align 2
  .long 4                      // name size ("Xen\0")
  .long 4                      // descriptor size
  .long 18                     // XEN_ELFNOTE_PHYS32_ENTRY
  .asciz "Xen"
  .long PHYS(pvh_start)

// ---- 32-bit entry ----------------------------------------------------------------------------
  .section .boot.text, "ax"
  .code32
  .global pvh_start
pvh_start:
  cli
  cld
  // The low windows (linker.ld): copy their bytes from the image to 0x40000, where the
  // kernel's code reaches them, before anything reads them (paging is still off).
  movl $__low_load_physical, %esi
  movl $0x40000, %edi
  movl $__low_load_size, %ecx
  rep movsb
  movl %ebx, %edi                              // start info, passed on to kernel_main
  movl $PHYS(__boot_stack_top), %esp

  // Long mode and NX are required: without them there is no way to report anything.
  movl $0x80000001, %eax
  cpuid
  testl $(1 << 29), %edx
  jz no_long_mode
  movl %edx, %esi                              // keep the NX bit (20) for EFER below

  // Fill the four boot page directories: 2048 entries of 2 MiB pages = physical 0..4 GiB.
  movl $PHYS(boot_page_directories), %ebx
  xorl %ecx, %ecx
1:
  movl %ecx, %eax
  shll $21, %eax
  orl $(PTE_PRESENT | PTE_WRITABLE | PTE_HUGE), %eax
  movl %eax, (%ebx, %ecx, 8)
  movl %ecx, %eax
  shrl $11, %eax
  movl %eax, 4(%ebx, %ecx, 8)
  incl %ecx
  cmpl $2048, %ecx
  jb 1b

  // CR4.PAE, CR3 = boot PML4, EFER.LME (+ NXE when available), CR0.PG | WP.
  movl %cr4, %eax
  orl $(1 << 5), %eax
  movl %eax, %cr4
  movl $PHYS(boot_pml4), %eax
  movl %eax, %cr3
  movl $0xC0000080, %ecx
  rdmsr
  orl $(1 << 8), %eax
  testl $(1 << 20), %esi
  jz 2f
  orl $(1 << 11), %eax
2:
  wrmsr
  movl %cr0, %eax
  orl $((1 << 31) | (1 << 16) | 1), %eax
  movl %eax, %cr0

  lgdt PHYS(boot_gdt_pointer)
  ljmp $0x08, $PHYS(long_mode_start)

no_long_mode:
  // No console yet; write a marker to the 16550 and stop.
  movw $0x3F8, %dx
  movb $'!', %al
  outb %al, %dx
3:
  hlt
  jmp 3b

// ---- 64-bit entry, still at the physical address ---------------------------------------------
  .code64
long_mode_start:
  movw $0x10, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  xorw %ax, %ax
  movw %ax, %fs
  movw %ax, %gs
  movabsq $higher_half_start, %rax
  jmp *%rax

  .text
higher_half_start:
  movabsq $__boot_stack_top, %rsp
  xorl %ebp, %ebp                              // ends the frame-pointer chain for backtraces
  movl %edi, %edi                              // zero-extend the start info address
  call kernel_main
4:
  cli
  hlt
  jmp 4b

// ---- Boot GDT: null, 64-bit code (0x08), data (0x10) -----------------------------------------
  .section .rodata
  .p2align 4
boot_gdt:
  .quad 0
  .quad 0x00AF9A000000FFFF
  .quad 0x00CF92000000FFFF
boot_gdt_end:
boot_gdt_pointer:
  .word boot_gdt_end - boot_gdt - 1
  .long PHYS(boot_gdt)

// ---- Boot page tables ------------------------------------------------------------------------
  .data
  .p2align 12
boot_pml4:
  .quad PHYS(boot_pdpt_identity) + PTE_PRESENT + PTE_WRITABLE
  .fill 255, 8, 0
  .quad PHYS(boot_pdpt_direct) + PTE_PRESENT + PTE_WRITABLE     // 256: 0xFFFF800000000000
  .fill 254, 8, 0
  .quad PHYS(boot_pdpt_kernel) + PTE_PRESENT + PTE_WRITABLE     // 511: 0xFFFFFF8000000000
boot_pdpt_identity:
  .quad PHYS(boot_page_directories) + PTE_PRESENT + PTE_WRITABLE
  .fill 511, 8, 0
boot_pdpt_direct:
  .quad PHYS(boot_page_directories) + 0x0000 + PTE_PRESENT + PTE_WRITABLE
  .quad PHYS(boot_page_directories) + 0x1000 + PTE_PRESENT + PTE_WRITABLE
  .quad PHYS(boot_page_directories) + 0x2000 + PTE_PRESENT + PTE_WRITABLE
  .quad PHYS(boot_page_directories) + 0x3000 + PTE_PRESENT + PTE_WRITABLE
  .fill 508, 8, 0
boot_pdpt_kernel:
  .fill 510, 8, 0
  .quad PHYS(boot_page_directories) + PTE_PRESENT + PTE_WRITABLE  // 510: 0xFFFFFFFF80000000
  .quad 0

  .bss
  .p2align 12
boot_page_directories:
  .skip 4 * 4096

// The boot stack has its own section so the linker script can put an unmapped guard page
// below it (a kernel stack overflow then faults instead of corrupting .bss).
  .section .boot_stack, "aw", @nobits
  .p2align 12
  .skip 64 * 1024
