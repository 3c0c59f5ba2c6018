// Tiny hand-assembled user programs for the kernel's tests (position-independent, run in ring 3
// from a read-execute user page). Kept in .rodata: the kernel copies them into user memory.
// System calls: see task/SystemCalls.swift (rax = number; rdi, rsi, rdx, r10 = arguments).
#define SYS_EXIT 0
#define SYS_WRITE 1
#define SYS_YIELD 2
#define SYS_SLEEP 3
#define SYS_CPU 4
#define SYS_TIME 5
#define SYS_PID 6
#define SYS_RETURN 7

#define PROGRAM(name) \
  .section .rodata.user_programs, "a"; .p2align 4; name##_start:
#define END(name) name##_end:

// hello: prints one line and exits with 0.
PROGRAM(hello)
  leaq 1f(%rip), %rdi
  movl $(2f - 1f), %esi
  movl $SYS_WRITE, %eax
  syscall
  xorl %edi, %edi
  movl $SYS_EXIT, %eax
  syscall
  ud2
1: .ascii "hello from ring 3\n"
2:
END(hello)

// badpointers: write() of a kernel address and of an unmapped user address must both fail with
// -14 (EFAULT) without harming the kernel. Exit 0 when they do, 1 otherwise.
PROGRAM(badpointers)
  movabsq $0xffffffff80100000, %rdi
  movl $16, %esi
  movl $SYS_WRITE, %eax
  syscall
  cmpq $-14, %rax
  jne 1f
  movl $0x1000, %edi
  movl $16, %esi
  movl $SYS_WRITE, %eax
  syscall
  cmpq $-14, %rax
  jne 1f
  xorl %edi, %edi
  movl $SYS_EXIT, %eax
  syscall
1:
  movl $1, %edi
  movl $SYS_EXIT, %eax
  syscall
END(badpointers)

// stackbomb: pushes until the stack's guard page faults.
PROGRAM(stackbomb)
1:
  pushq %rax
  jmp 1b
END(stackbomb)

// invalid: executes ud2.
PROGRAM(invalid)
  nop
  ud2
END(invalid)

// divide: divides by zero.
PROGRAM(divide)
  movl $7, %eax
  xorl %edx, %edx
  xorl %ecx, %ecx
  divl %ecx
  ud2
END(divide)

// peek: reads the kernel image (a supervisor page).
PROGRAM(peek)
  movabsq $0xffffffff80100000, %rax
  movq (%rax), %rax
  ud2
END(peek)

// spin: an infinite loop (only preemption gets the CPU back).
PROGRAM(spin)
1:
  jmp 1b
END(spin)

// vector: keeps pid * 0x0101010101 in xmm0/xmm7 (and, when the kernel enabled AVX state, in
// the upper half of ymm0) across 40 yields and busy loops; exit 0 if they survive every
// switch, 1 otherwise (checks the kernel saves SSE and AVX state per task). User code may run
// xgetbv: CR4.OSXSAVE is set whenever XSAVE is present.
PROGRAM(vector)
  // r13 = 1 if XCR0 has the SSE and AVX components (cpuid clobbers rbx: do it first).
  xorl %r13d, %r13d
  movl $1, %eax
  cpuid
  btl $27, %ecx
  jnc 4f
  xorl %ecx, %ecx
  xgetbv
  andl $6, %eax
  cmpl $6, %eax
  jne 4f
  movl $1, %r13d
  leaq 7f(%rip), %rdi
  movl $(8f - 7f), %esi
  movl $SYS_WRITE, %eax
  syscall
4:
  movl $SYS_PID, %eax
  syscall
  movabsq $0x0101010101, %rbx
  imulq %rax, %rbx
  movq %rbx, %xmm0
  movq %rbx, %xmm7
  testl %r13d, %r13d
  jz 5f
  // ymm0 = (xmm7 : xmm0), then legacy SSE code below leaves the upper half alone.
  vinsertf128 $1, %xmm7, %ymm0, %ymm0
5:
  movl $40, %r12d
1:
  movl $SYS_YIELD, %eax
  syscall
  movl $20000, %ecx
2:
  decl %ecx
  jnz 2b
  movq %xmm0, %rax
  cmpq %rbx, %rax
  jne 3f
  movq %xmm7, %rax
  cmpq %rbx, %rax
  jne 3f
  testl %r13d, %r13d
  jz 6f
  vextractf128 $1, %ymm0, %xmm1
  vmovq %xmm1, %rax
  cmpq %rbx, %rax
  jne 3f
6:
  decl %r12d
  jnz 1b
  xorl %edi, %edi
  movl $SYS_EXIT, %eax
  syscall
3:
  movl $1, %edi
  movl $SYS_EXIT, %eax
  syscall
  ud2
7: .ascii "vector: AVX state in use (upper ymm0 checked too)\n"
8:
END(vector)

// worker: busy for a while (preemptible), then exits with 0.
PROGRAM(worker)
  movl $60, %r12d
1:
  movl $200000, %ecx
2:
  decl %ecx
  jnz 2b
  decl %r12d
  jnz 1b
  xorl %edi, %edi
  movl $SYS_EXIT, %eax
  syscall
END(worker)

// sleeper: sleeps 30 ms; exit 0 if at least 30 ms passed, 1 otherwise.
PROGRAM(sleeper)
  movl $SYS_TIME, %eax
  syscall
  movq %rax, %rbx
  movl $30000, %edi
  movl $SYS_SLEEP, %eax
  syscall
  movl $SYS_TIME, %eax
  syscall
  subq %rbx, %rax
  cmpq $30000, %rax
  jb 1f
  xorl %edi, %edi
  movl $SYS_EXIT, %eax
  syscall
1:
  movl $1, %edi
  movl $SYS_EXIT, %eax
  syscall
END(sleeper)


// activation: a stand-in for a compiled WebAssembly module, with the same shape as the
// runtime's x86_64 stubs (X64Stubs): an entry trampoline that saves the callee-saved registers
// and stores its stack pointer in the activation record, a trap exit that pops them, functions
// with trap sites, host-call gates (system calls 0x100+) and the return gate of UserCall.
// The header gives offsets from the start (the kernel test reads it).
  .section .rodata.user_programs, "a"
  .p2align 4
  .global activation_blob_start, activation_blob_end
activation_blob_start:
  .quad act_entry - activation_blob_start        // 0
  .quad act_trap_exit - activation_blob_start    // 8
  .quad act_add - activation_blob_start          // 16
  .quad act_unreachable - activation_blob_start  // 24
  .quad act_load - activation_blob_start         // 32
  .quad act_nested - activation_blob_start       // 40
  .quad act_divide - activation_blob_start       // 48
  .quad act_return_gate - activation_blob_start  // 56
  .quad act_site_unreachable - activation_blob_start  // 64
  .quad act_site_load - activation_blob_start    // 72
  .quad act_site_divide - activation_blob_start  // 80
  .quad act_spin - activation_blob_start         // 88
  .quad act_call_pointer - activation_blob_start // 96

// entry(vmctx rdi, code rsi, values rdx, count rcx, activation r8) -> eax (0, or a trap kind)
act_entry:
  pushq %rbx
  pushq %rbp
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%r8)
  movq %rsp, %rbp
  movq %rdi, %r15
  movq %rdx, %rdi
  andq $-16, %rsp
  callq *%rsi
  movq %rbp, %rsp
  xorl %eax, %eax
act_trap_exit:
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbp
  popq %rbx
  retq

// values[0] = host_add(values[0], values[1])
act_add:
  pushq %rbp
  movq %rsp, %rbp
  pushq %r12
  pushq %r12
  movq %rdi, %r12
  movq (%r12), %rdi
  movq 8(%r12), %rsi
  callq act_gate_add
  movq %rax, (%r12)
  popq %r12
  popq %r12
  popq %rbp
  retq

// Two frames deep, then a trap instruction (kind unreachable).
act_unreachable:
  pushq %rbp
  movq %rsp, %rbp
  callq 1f
  popq %rbp
  retq
1:
  pushq %rbp
  movq %rsp, %rbp
act_site_unreachable:
  ud2

// Loads from the address in values[1] (a guard page: kind out of bounds).
act_load:
  pushq %rbp
  movq %rsp, %rbp
  movq 8(%rdi), %rax
act_site_load:
  movq (%rax), %rax
  popq %rbp
  retq

// values[0] = host_nested(values[0], values[1]) (the kernel calls act_add again, nested)
act_nested:
  pushq %rbp
  movq %rsp, %rbp
  pushq %r12
  pushq %r12
  movq %rdi, %r12
  movq (%r12), %rdi
  movq 8(%r12), %rsi
  callq act_gate_nested
  movq %rax, (%r12)
  popq %r12
  popq %r12
  popq %rbp
  retq

// values[0] = values[0] / values[1] (32-bit; kind divide by zero)
act_divide:
  pushq %rbp
  movq %rsp, %rbp
  movl (%rdi), %eax
  movl 8(%rdi), %ecx
  xorl %edx, %edx
act_site_divide:
  divl %ecx
  movq %rax, (%rdi)
  popq %rbp
  retq

// Busy for values[0] iterations (long enough to be preempted), then values[0] = 0.
act_spin:
  movq (%rdi), %rcx
1:
  decq %rcx
  jnz 1b
  movq %rcx, (%rdi)
  retq

// values[0] = (*values[2])(values[0], values[1]): a call through a pointer, as compiled code
// calls builtins and host dispatchers (here: a kernel host-call gate).
act_call_pointer:
  pushq %rbp
  movq %rsp, %rbp
  pushq %r12
  pushq %r12
  movq %rdi, %r12
  movq (%r12), %rdi
  movq 8(%r12), %rsi
  callq *16(%r12)
  movq %rax, (%r12)
  popq %r12
  popq %r12
  popq %rbp
  retq

act_gate_add:
  movq %rcx, %r10
  movl $0x100, %eax
  syscall
  retq
act_gate_nested:
  movq %rcx, %r10
  movl $0x101, %eax
  syscall
  retq
act_return_gate:
  movl %eax, %edi
  movl $SYS_RETURN, %eax
  syscall
  ud2
activation_blob_end:

// The table (struct user_program).
  .section .rodata
  .p2align 3
  .global user_programs, user_program_count
#define ENTRY(name) .quad name##_name, name##_start, name##_end - name##_start
user_programs:
  ENTRY(hello)
  ENTRY(badpointers)
  ENTRY(stackbomb)
  ENTRY(invalid)
  ENTRY(divide)
  ENTRY(peek)
  ENTRY(spin)
  ENTRY(vector)
  ENTRY(worker)
  ENTRY(sleeper)
user_program_count:
  .quad (user_program_count - user_programs) / 24
#define NAME(name) name##_name: .asciz #name
NAME(hello)
NAME(badpointers)
NAME(stackbomb)
NAME(invalid)
NAME(divide)
NAME(peek)
NAME(spin)
NAME(vector)
NAME(worker)
NAME(sleeper)
