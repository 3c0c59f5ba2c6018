// Floating-point helpers the Swift standard library calls. The kernel is compiled with
// -mno-sse, so Double arithmetic is x87 and the calling convention passes a double on the
// stack and returns it in st(0) — these must match that, and every Swift module linked
// into the kernel must be compiled with the same flags (kernel/build does this).

  .text
  // double ceil(double): used by Dictionary/Set capacity computations.
  .globl ceil
  .type ceil, @function
ceil:
  fldl 8(%rsp)
  subq $8, %rsp
  fnstcw (%rsp)                 // saved control word at 0(%rsp)
  movw (%rsp), %ax
  andw $0xF3FF, %ax
  orw $0x0800, %ax              // rounding control 10b: toward +infinity
  movw %ax, 4(%rsp)
  fldcw 4(%rsp)
  frndint
  fldcw (%rsp)
  addq $8, %rsp
  ret
  .size ceil, . - ceil
