// A flat user program for the boot image: prints a greeting, sleeps 10 ms, exits with 0.
// Position-independent; entered at its first byte with a stack.
#include "syscalls.h"
  .text
  leaq message(%rip), %rdi
  movl $(message_end - message), %esi
  movl $SYS_WRITE, %eax
  syscall
  movl $10000, %edi
  movl $SYS_SLEEP, %eax
  syscall
  xorl %edi, %edi
  movl $SYS_EXIT, %eax
  syscall
  ud2
message:
  .ascii "hello from the boot image\n"
message_end:
