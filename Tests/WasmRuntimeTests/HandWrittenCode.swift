import WasmCompiler
import WasmFrontEnd
@testable import WasmRuntime

/// Machine code written by hand (assembled once with clang from the listing below) that
/// follows the VMLayout calling convention, so calls, traps, host calls and backtraces can be
/// tested without the compiler.
///
/// ```
/// entry:      push rbx/rbp/r12/r13/r14/r15; mov [r8], rsp; mov rbp, rsp; sub rsp, 24
///             save values/count at [rbp-8]/[rbp-16]; reserve roundUp16(8*count) bytes;
///             copy slots in; mov r15, rdi; call rsi; copy slots out; mov rsp, rbp; xor eax, eax
/// trapexit:   pop r15/r14/r13/r12/rbp/rbx; ret
/// hostcall:   push rbp; mov rbp, rsp; mov rdi, r15; lea rsi, [rbp+16]; and rsp, -16
///             call [r15]; test eax, eax; jne hosttrap; leave; ret
/// hosttrap:   ud2
/// answer:     push rbp; mov rbp, rsp; mov qword [rbp+16], 42; pop rbp; ret      () -> i32
/// crash:      push rbp; mov rbp, rsp; call inner; pop rbp; ret                  () -> ()
/// inner:      push rbp; mov rbp, rsp; nop
/// innertrap:  ud2                                                               () -> ()
/// oob:        push rbp; mov rbp, rsp; rax = memories[0]->base; mov ecx, 0xfffffff0
/// oobload:    mov eax, [rax+rcx]; mov [rbp+16], rax; pop rbp; ret              () -> i32
/// callhost:   push rbp; mov rbp, rsp; push r15; sub rsp, 8; [rsp] = arg0
///             rax = &functions[0]; mov r15, [rax+8]; call [rax]
///             [rbp+16] = [rsp]; mov r15, [rbp-8]; leave; ret                    (i32) -> i32
/// ```
enum HandWrittenCode {
    static let bytes: [UInt8] = [
        0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x49, 0x89,
        0x20, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x18, 0x48, 0x89, 0x55, 0xf8,
        0x48, 0x89, 0x4d, 0xf0, 0x48, 0x89, 0xc8, 0x48, 0xc1, 0xe0, 0x03, 0x48,
        0x83, 0xc0, 0x0f, 0x48, 0x83, 0xe0, 0xf0, 0x48, 0x29, 0xc4, 0x31, 0xc0,
        0x48, 0x39, 0xc8, 0x73, 0x0d, 0x4c, 0x8b, 0x1c, 0xc2, 0x4c, 0x89, 0x1c,
        0xc4, 0x48, 0xff, 0xc0, 0xeb, 0xee, 0x49, 0x89, 0xff, 0xff, 0xd6, 0x48,
        0x8b, 0x55, 0xf8, 0x48, 0x8b, 0x4d, 0xf0, 0x31, 0xc0, 0x48, 0x39, 0xc8,
        0x73, 0x0d, 0x4c, 0x8b, 0x1c, 0xc4, 0x4c, 0x89, 0x1c, 0xc2, 0x48, 0xff,
        0xc0, 0xeb, 0xee, 0x48, 0x89, 0xec, 0x31, 0xc0, 0x41, 0x5f, 0x41, 0x5e,
        0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3, 0x55, 0x48, 0x89, 0xe5, 0x4c,
        0x89, 0xff, 0x48, 0x8d, 0x75, 0x10, 0x48, 0x83, 0xe4, 0xf0, 0x41, 0xff,
        0x17, 0x85, 0xc0, 0x75, 0x02, 0xc9, 0xc3, 0x0f, 0x0b, 0x55, 0x48, 0x89,
        0xe5, 0x48, 0xc7, 0x45, 0x10, 0x2a, 0x00, 0x00, 0x00, 0x5d, 0xc3, 0x55,
        0x48, 0x89, 0xe5, 0xe8, 0x02, 0x00, 0x00, 0x00, 0x5d, 0xc3, 0x55, 0x48,
        0x89, 0xe5, 0x90, 0x0f, 0x0b, 0x55, 0x48, 0x89, 0xe5, 0x49, 0x8b, 0x47,
        0x20, 0x48, 0x8b, 0x00, 0x48, 0x8b, 0x00, 0xb9, 0xf0, 0xff, 0xff, 0xff,
        0x8b, 0x04, 0x08, 0x48, 0x89, 0x45, 0x10, 0x5d, 0xc3, 0x55, 0x48, 0x89,
        0xe5, 0x41, 0x57, 0x48, 0x83, 0xec, 0x08, 0x8b, 0x45, 0x10, 0x48, 0x89,
        0x04, 0x24, 0x49, 0x8b, 0x47, 0x08, 0x4c, 0x8b, 0x78, 0x08, 0xff, 0x10,
        0x48, 0x8b, 0x04, 0x24, 0x48, 0x89, 0x45, 0x10, 0x4c, 0x8b, 0x7d, 0xf8,
        0xc9, 0xc3,
    ]

    // Label offsets (llvm-nm of the assembled listing).
    static let entry = 0x00, trapExit = 0x68, hostCall = 0x73, hostTrap = 0x8b
    static let answer = 0x8d, crash = 0x9b, inner = 0xa6, innerTrap = 0xab
    static let oob = 0xad, oobLoad = 0xc0, callHost = 0xc9, end = 0xf2

    static var image: CodeImage {
        var image = CodeImage()
        image.code = bytes
        // Defined functions: answer, crash, inner, oob, callhost (function indices 1...5).
        image.functionOffsets = [answer, crash, inner, oob, callHost]
        image.functionSizes = [crash - answer, inner - crash, oob - inner, callHost - oob, end - callHost]
        image.trapSites = [
            .init(offset: UInt32(hostTrap), kind: .hostTrap),
            .init(offset: UInt32(innerTrap), kind: .unreachable),
            .init(offset: UInt32(oobLoad), kind: .memoryOutOfBounds),
        ]
        image.entryTrampoline = entry
        image.trapExit = trapExit
        image.hostCallStub = hostCall
        return image
    }

    /// The module the code implements:
    /// `(import "host" "f" (func (param i32) (result i32))) (memory 1)` and the five functions
    /// above exported under their names, with a name section.
    static var module: Module {
        var module = Module(bytes: [])
        let answerType = FunctionType(parameters: [], results: [.i32])
        let voidType = FunctionType(parameters: [], results: [])
        let unaryType = FunctionType(parameters: [.i32], results: [.i32])
        module.types = [answerType, voidType, unaryType]
        module.imports = [Import(module: "host", name: "f", descriptor: .function(typeIndex: 2))]
        module.functionTypeIndices = [0, 1, 1, 0, 2]
        module.functionBodies = Array(repeating: FunctionBody(locals: [], localCount: 0, code: 0..<0), count: 5)
        module.memories = [MemoryType(limits: Limits(min: 1, max: 2))]
        module.exports = [
            Export(name: "answer", kind: .function, index: 1),
            Export(name: "crash", kind: .function, index: 2),
            Export(name: "oob", kind: .function, index: 4),
            Export(name: "callHost", kind: .function, index: 5),
            Export(name: "memory", kind: .memory, index: 0),
        ]
        var names = NameSection()
        names.moduleName = "handwritten"
        names.functionNames = [1: "answer", 2: "crash", 3: "inner", 5: "callHost"]
        module.names = names
        return module
    }
}
