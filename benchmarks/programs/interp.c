/* A bytecode interpreter whose dispatch goes through a table of handler functions (one
 * call_indirect per instruction in wasm). The bytecode program runs the Collatz iteration
 * for every start value below n and sums the step counts and peak values. */
#include "bench.h"

typedef struct VM VM;
typedef void (*Handler)(VM *vm, i32 arg);

struct VM {
    i64 regs[8];
    u32 pc;
    u32 running;
};

enum { OP_LOADI, OP_MOV, OP_ADD, OP_ADDI, OP_SHR1, OP_MUL3P1, OP_ANDI, OP_MAX,
       OP_JZ, OP_JNZ, OP_JMP, OP_LTJ, OP_HALT, OP_COUNT };

typedef struct { u8 op, a, b; i32 imm; } Instr;

static const Instr *code;

static void op_loadi(VM *vm, i32 i) { vm->regs[code[i].a] = code[i].imm; vm->pc++; }
static void op_mov(VM *vm, i32 i) { vm->regs[code[i].a] = vm->regs[code[i].b]; vm->pc++; }
static void op_add(VM *vm, i32 i) { vm->regs[code[i].a] += vm->regs[code[i].b]; vm->pc++; }
static void op_addi(VM *vm, i32 i) { vm->regs[code[i].a] += code[i].imm; vm->pc++; }
static void op_shr1(VM *vm, i32 i) { vm->regs[code[i].a] >>= 1; vm->pc++; }
static void op_mul3p1(VM *vm, i32 i) { vm->regs[code[i].a] = vm->regs[code[i].a] * 3 + 1; vm->pc++; }
static void op_andi(VM *vm, i32 i) { vm->regs[code[i].a] = vm->regs[code[i].b] & code[i].imm; vm->pc++; }
static void op_max(VM *vm, i32 i) {
    if (vm->regs[code[i].b] > vm->regs[code[i].a]) vm->regs[code[i].a] = vm->regs[code[i].b];
    vm->pc++;
}
static void op_jz(VM *vm, i32 i) { vm->pc = vm->regs[code[i].a] == 0 ? (u32)code[i].imm : vm->pc + 1; }
static void op_jnz(VM *vm, i32 i) { vm->pc = vm->regs[code[i].a] != 0 ? (u32)code[i].imm : vm->pc + 1; }
static void op_jmp(VM *vm, i32 i) { vm->pc = (u32)code[i].imm; }
static void op_ltj(VM *vm, i32 i) { /* if regs[a] < regs[b] jump */
    vm->pc = vm->regs[code[i].a] < vm->regs[code[i].b] ? (u32)code[i].imm : vm->pc + 1;
}
static void op_halt(VM *vm, i32 i) { (void)i; vm->running = 0; }

/* Filled at run time (not a constant initializer) so the compiler cannot devirtualize. */
static Handler handlers[OP_COUNT];

BENCH_ENTRY {
    bench_reset();
    handlers[OP_LOADI] = op_loadi; handlers[OP_MOV] = op_mov; handlers[OP_ADD] = op_add;
    handlers[OP_ADDI] = op_addi; handlers[OP_SHR1] = op_shr1; handlers[OP_MUL3P1] = op_mul3p1;
    handlers[OP_ANDI] = op_andi; handlers[OP_MAX] = op_max; handlers[OP_JZ] = op_jz;
    handlers[OP_JNZ] = op_jnz; handlers[OP_JMP] = op_jmp; handlers[OP_LTJ] = op_ltj;
    handlers[OP_HALT] = op_halt;
    /* r0 = start, r1 = limit, r2 = x, r3 = steps total, r4 = peak max, r5 = tmp, r6 = one */
    static const Instr program[] = {
        /* 0 */ { OP_LOADI, 0, 0, 1 },
        /* 1 */ { OP_LOADI, 3, 0, 0 },
        /* 2 */ { OP_LOADI, 4, 0, 0 },
        /* 3 */ { OP_LOADI, 6, 0, 1 },
        /* 4 */ { OP_LTJ, 0, 1, 6 },        /* outer: if start < limit goto body */
        /* 5 */ { OP_HALT, 0, 0, 0 },
        /* 6 */ { OP_MOV, 2, 0, 0 },        /* x = start */
        /* 7 */ { OP_LTJ, 6, 2, 9 },        /* inner: if 1 < x goto step */
        /* 8 */ { OP_JMP, 0, 0, 15 },
        /* 9 */ { OP_ANDI, 5, 2, 1 },       /* tmp = x & 1 */
        /* 10 */ { OP_JNZ, 5, 0, 13 },
        /* 11 */ { OP_SHR1, 2, 0, 0 },      /* even: x >>= 1 */
        /* 12 */ { OP_JMP, 0, 0, 14 },
        /* 13 */ { OP_MUL3P1, 2, 0, 0 },    /* odd: x = 3x + 1 */
        /* 14 */ { OP_ADDI, 3, 0, 1 },      /* steps += 1 */
        /* 15 */ { OP_MAX, 4, 2, 0 },       /* peak = max(peak, x) */
        /* 16 */ { OP_LTJ, 6, 2, 9 },       /* loop while 1 < x */
        /* 17 */ { OP_ADDI, 0, 0, 1 },      /* start += 1 */
        /* 18 */ { OP_JMP, 0, 0, 4 },
    };
    code = program;
    VM vm;
    bench_memset(&vm, 0, sizeof vm);
    vm.regs[1] = n;
    vm.running = 1;
    u64 executed = 0;
    while (vm.running) {
        u32 pc = vm.pc;
        handlers[code[pc].op](&vm, (i32)pc);
        executed++;
    }
    u64 h = mix64(0, (u64)vm.regs[3]);
    h = mix64(h, (u64)vm.regs[4]);
    return finish(mix64(h, executed));
}
