// Interrupt and exception entry. Every vector has a stub that makes the stack uniform
// (a dummy error code where the CPU pushes none, then the vector number) and jumps to
// trap_common, which saves the registers as a trap_frame (kernel_support.h) and calls
// the Swift handler kernel_trap(trap_frame *). Returning from it resumes the interrupted code.

#include "kernel_layout.h"

  .text

// Vectors for which the CPU pushes an error code.
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

// 256 stubs of exactly 16 bytes each: the stub of vector v is at trap_stubs + 16 * v.
  .p2align 4
  .global trap_stubs
trap_stubs:
  .set vector, 0
  .rept 256
  .p2align 4
  .if !HAS_ERROR_CODE(vector)
  pushq $0
  .endif
  pushq $vector
  jmp trap_common
  .set vector, vector + 1
  .endr

trap_common:
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
  // Handlers run with SMAP enforced whatever the interrupted code had (user code may set AC;
  // the kernel sets it only inside user-access windows); IRETQ restores the interrupted flags.
  cmpb $0, smap_enabled(%rip)
  je 3f
  clac
3:
  // From user mode (CS.RPL = 3): switch to the kernel's GS, then move the whole frame
  // (176 bytes) from the IST stack to the running task's kernel stack, so the handler may
  // switch tasks, sleep or fault again while the IST stack is free for the next entry.
  testb $3, TRAP_FRAME_CS(%rsp)
  jz 1f
  swapgs
  movq %gs:CPU_LOCAL_KERNEL_STACK_TOP, %rdi
  subq $TRAP_FRAME_SIZE, %rdi
  movq %rsp, %rsi
  movl $(TRAP_FRAME_SIZE / 8), %ecx
  rep movsq
  movq %gs:CPU_LOCAL_KERNEL_STACK_TOP, %rsp
  subq $TRAP_FRAME_SIZE, %rsp
1:
  movq %rsp, %rdi
  // A fake frame (saved rbp, interrupted rip) so backtraces walk through the trap.
  pushq TRAP_FRAME_RIP(%rsp) // trap_frame.rip (address computed before the push)
  pushq %rbp
  movq %rsp, %rbp
  call kernel_trap
  addq $16, %rsp

// Leaves a trap frame at %rsp: back to the interrupted code, or into user mode (new tasks
// start here too, from user.S).
  .global trap_return
trap_return:
  testb $3, TRAP_FRAME_CS(%rsp)
  jz 2f
  swapgs                    // interrupts are off: nothing runs between here and iretq
2:
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %r11
  popq %r10
  popq %r9
  popq %r8
  popq %rbp
  popq %rdi
  popq %rsi
  popq %rdx
  popq %rcx
  popq %rbx
  popq %rax
  addq $16, %rsp            // vector and error code
  iretq
