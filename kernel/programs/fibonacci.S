// A flat user program for the boot image: fib(40) by iteration with SSE registers as scratch
// (the kernel must keep them per task); prints "fibonacci: ok" and exits with 0 when the
// result is 102334155, else exits with 1.
#include "syscalls.h"
  .text
  xorl %r12d, %r12d                 // a = fib(0)
  movl $1, %ebx                     // b = fib(1)
  movl $40, %r13d
1:
  movq %rbx, %xmm1                  // next a, kept only in an SSE register across the yield
  addq %r12, %rbx
  movl $SYS_YIELD, %eax
  syscall
  movq %xmm1, %r12
  decl %r13d
  jnz 1b
  cmpq $102334155, %r12
  jne 2f
  leaq message(%rip), %rdi
  movl $(message_end - message), %esi
  movl $SYS_WRITE, %eax
  syscall
  xorl %edi, %edi
  movl $SYS_EXIT, %eax
  syscall
2:
  movl $1, %edi
  movl $SYS_EXIT, %eax
  syscall
message:
  .ascii "fibonacci: ok\n"
message_end:
