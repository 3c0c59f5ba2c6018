// User mode: the SYSCALL entry, the task context switch, the first entry of a new task, and the
// user-memory copy routine whose faults the page-fault handler recovers from.
//
// System call ABI (see task/SystemCalls.swift): rax = number, arguments in rdi, rsi, rdx, r10,
// r8, r9; result in rax. rcx and r11 are clobbered (SYSCALL keeps the user rip and rflags in
// them). Every other register is preserved.
#include "kernel_layout.h"

  .text

// SYSCALL: CPL 0, CS/SS from STAR, rip from LSTAR, IF/TF/DF/AC cleared by FMASK, the stack is
// still the user's. Build a trap_frame on the task's kernel stack exactly like an interrupt
// from user mode would, so both paths share the frame layout and trap_return.
  .global syscall_entry
  .p2align 4
syscall_entry:
  swapgs
  movq %rsp, %gs:CPU_LOCAL_USER_RSP
  movq %gs:CPU_LOCAL_KERNEL_STACK_TOP, %rsp
  pushq $USER_DATA_SELECTOR         // ss
  pushq %gs:CPU_LOCAL_USER_RSP      // rsp
  pushq %r11                        // rflags
  pushq $USER_CODE_SELECTOR         // cs
  pushq %rcx                        // rip
  pushq $0                          // error code
  pushq $SYSCALL_FRAME_VECTOR
  pushq %rax
  pushq %rbx
  pushq %rcx
  pushq %rdx
  pushq %rsi
  pushq %rdi
  pushq %rbp
  pushq %r8
  pushq %r9
  pushq %r10
  pushq %r11
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  cld
  movq %rsp, %rdi
  pushq TRAP_FRAME_RIP(%rsp)
  pushq %rbp
  movq %rsp, %rbp
  call kernel_syscall
  addq $16, %rsp

  // SYSRET when the frame still returns to user code in the user half; anything else (a frame
  // the kernel rewrote) leaves through IRETQ. Never SYSRET to a non-canonical rip: on Intel
  // CPUs its #GP would be taken in ring 0 on the user stack.
  movq TRAP_FRAME_RIP(%rsp), %rcx
  movabsq $USER_ADDRESS_LIMIT, %r11
  cmpq %r11, %rcx
  jae trap_return
  cmpq $USER_CODE_SELECTOR, TRAP_FRAME_CS(%rsp)
  jne trap_return
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %r11                         // replaced by rflags below
  popq %r10
  popq %r9
  popq %r8
  popq %rbp
  popq %rdi
  popq %rsi
  popq %rdx
  popq %rcx                         // replaced by rip below
  popq %rbx
  popq %rax
  movq 16(%rsp), %rcx               // rip (past vector and error code)
  movq 32(%rsp), %r11               // rflags
  andq $~0x3000, %r11               // IOPL 0
  orq $0x200, %r11                  // interrupts on in user mode
  movq 40(%rsp), %rsp               // the user stack
  swapgs
  sysretq

// void context_switch(uint64_t *save_rsp, uint64_t new_rsp): RFLAGS and the callee-saved
// registers are saved on the old stack, its pointer in *save_rsp.
  .global context_switch
  .p2align 4
context_switch:
  pushfq                            // AC (a user-access window) and IF belong to the task
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  popfq
  ret

// A new task's first context switch "returns" here with %rsp at the trap frame on top of its
// kernel stack (Task.swift primes the stack).
  .global task_start
  .p2align 4
task_start:
  xorl %ebp, %ebp                   // ends backtraces
  movq %rsp, %rdi
  call kernel_task_entry
  jmp trap_return

// uint64_t user_copy(void *destination, const void *source, uint64_t n): returns the bytes not
// copied. A fault between user_copy_fault_start and user_copy_fault_end on a user address that
// cannot be backed resumes at user_copy_fixup with rcx = bytes left (REP MOVSB is restartable).
// RFLAGS is saved and restored, so a copy inside a user-access window leaves the window open.
  .global user_copy, user_copy_fault_start, user_copy_fault_end, user_copy_fixup
  .p2align 4
user_copy:
  pushfq
  movq %rdx, %rcx
  cmpb $0, smap_enabled(%rip)
  je 1f
  stac
1:
user_copy_fault_start:
  rep movsb
user_copy_fault_end:
  xorl %eax, %eax
  popfq
  ret
user_copy_fixup:
  movq %rcx, %rax
  popfq
  ret

  .data
  .global smap_enabled
smap_enabled:
  .byte 0

  .text

// uint64_t user_call_enter(uint64_t *saved_rsp, const trap_frame *user, uint64_t *entry_top)
// Runs user code from kernel mode as a call: saves the callee-saved registers, RFLAGS and the
// stack pointer in *saved_rsp, makes the stack below them the task's entry stack (*entry_top, the
// CPU's kernel_stack_top and TSS.RSP0: system calls and interrupts from the user code land
// there), copies the user frame to it and leaves through trap_return. Comes back only through
// user_call_resume, which returns the result from this function.
  .global user_call_enter
  .p2align 4
user_call_enter:
  pushq %rbp
  movq %rsp, %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  pushfq                            // AC (a user-access window) survives the call
  movq %rsp, (%rdi)
  movq %rsp, (%rdx)
  movq %rsp, %gs:CPU_LOCAL_KERNEL_STACK_TOP
  movq %gs:CPU_LOCAL_TSS, %rax
  testq %rax, %rax
  jz 1f
  movq %rsp, 4(%rax)                // TSS.RSP0
1:
  subq $TRAP_FRAME_SIZE, %rsp
  movq %rsp, %rdi
  movl $(TRAP_FRAME_SIZE / 8), %ecx
  rep movsq                         // rsi = the user frame
  jmp trap_return

// void user_call_resume(uint64_t saved_rsp, uint64_t result): back into user_call_enter's
// caller (from a system call of the user code), abandoning the kernel frames below.
  .global user_call_resume
  .p2align 4
user_call_resume:
  movq %rdi, %rsp
  movq %rsi, %rax
  popfq
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
