// System call numbers of the Apus kernel (task/SystemCalls.swift). rax = number; arguments in
// rdi, rsi, rdx, r10, r8, r9; result in rax; rcx and r11 are clobbered.
#define SYS_EXIT 0
#define SYS_WRITE 1
#define SYS_YIELD 2
#define SYS_SLEEP 3
#define SYS_CPU 4
#define SYS_TIME 5
#define SYS_PID 6
