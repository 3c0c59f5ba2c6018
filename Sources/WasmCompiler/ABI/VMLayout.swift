import WasmFrontEnd

/// The contract between JIT-compiled code and the runtime: the layout of the structures that
/// generated code reads, the trap kinds, and the machine-level calling convention. The
/// compiler emits code against these offsets; the runtime allocates and fills the structures.
/// Every offset is in bytes; every pointer and slot is 8 bytes (x86_64, riscv64, aarch64).
///
/// Calling convention for wasm functions ("wasm-internal", all ISAs follow the same shape):
/// - The callee's instance context (`VMContext`) is in the pinned context register
///   (x86_64: r15). The memory-0 base is in a pinned register (x86_64: r14), loaded by the
///   callee's prologue from its own context, so the caller need not know it.
/// - Arguments and results travel through memory: the caller reserves, at the stack pointer
///   at the call, `max(params, results)` value slots (8 bytes each; a v128 takes two), writes
///   argument i to slot i, and after the return reads result i from slot i. On x86_64 the
///   callee sees slot i at [rbp + 16 + 8*i] after `push rbp; mov rbp, rsp`.
/// - Every other general-purpose and vector register is caller-saved. After any call the
///   caller reloads its own context register (saved in its frame) and memory base.
/// - Every function keeps a frame-pointer chain (`push rbp; mov rbp, rsp`) so the trap
///   handler can walk wasm frames for backtraces, and checks the stack limit in its prologue.
/// - Code is position-independent: calls between functions of one module are pc-relative;
///   everything else (imports, builtins, tables, globals, memories) is reached via VMContext.
///
/// x86_64 baseline details the runtime relies on (added by the compiler, additive only):
/// - Frame: `[rbp]` caller's rbp, `[rbp+8]` return address, `[rbp-8]` the frame's VMContext.
///   The entry trampoline's own rbp is not a wasm frame: a backtrace walker stops at the first
///   return address outside every `CompiledFunction` range (it points into the trampoline).
/// - The prologue's stack check covers only the wasm frame being entered. Builtins, host
///   functions and the fault handler run on the same stack: the runtime must set
///   `stackLimit` with enough headroom below it for them (e.g. 64 KiB + the guard page).
/// - A `callStackExhausted` trap fires before the frame is allocated (rsp is still valid).
/// - Generated code assumes the default MXCSR (round to nearest even, exceptions masked) and
///   the SysV direction flag (clear).
/// - Guard-region memories: an access computes `base + zext32(address) + offset` with
///   `offset < 2^31` (larger static offsets are checked explicitly) and reads at most 8 bytes,
///   so every address in `[base + length, base + 2^32 + 2^31 + 8)` must fault (reserve 6 GiB
///   plus a page beyond the base, or 8 GiB). Explicit-check mode needs no reservation.
/// - Builtins that return a trap kind may return any `TrapKind` raw value; the generated code
///   routes it to a trap site of that kind, so the fault handler sees it like any other trap.
/// - Values in argument/result slots: i32/f32 occupy the low 4 bytes (the upper 4 bytes are
///   unspecified on output and ignored on input); references are 8-byte values.
/// Argument/result slots of the calling convention: 8 bytes per value, two for a v128.
public enum VMValueSlots {
    /// Number of 8-byte slots `types` occupy.
    public static func count(_ types: [ValueType]) -> Int {
        types.reduce(0) { $0 + ($1 == .v128 ? 2 : 1) }
    }

    /// Byte offset of each value of `types` in consecutive slots.
    public static func byteOffsets(_ types: [ValueType]) -> [Int] {
        var offsets: [Int] = []
        offsets.reserveCapacity(types.count)
        var next = 0
        for type in types {
            offsets.append(next)
            next += type == .v128 ? 16 : 8
        }
        return offsets
    }
}

public enum VMContextLayout {
    /// `UnsafeMutablePointer<VMStoreContext>`: per-store state shared by all its instances.
    public static let storeContext = 0
    /// Pointer to an array of `VMFuncRef` (32 bytes each), one per function index
    /// (imports first). `ref.func i` is the address of entry i.
    public static let functions = 8
    /// Pointer to an array of pointers to global cells (16 bytes each, value in the low bytes),
    /// one per global index. Imported globals point at the exporter's cell.
    public static let globals = 16
    /// Pointer to an array of pointers to `VMTable`, one per table index.
    public static let tables = 24
    /// Pointer to an array of pointers to `VMMemory`, one per memory index.
    public static let memories = 32
    /// Pointer to an array of UInt64 canonical type ids, one per type index of the module;
    /// `call_indirect` compares `typeIDs[typeIndex]` with the callee `VMFuncRef.typeID`.
    public static let typeIDs = 40
    /// Pointer to the builtin function table (`VMBuiltin`), C calling convention.
    public static let builtins = 48
    /// Size of the fixed header; the runtime may keep private fields after it.
    public static let headerSize = 56
}

/// Per-store state that every instance context points to.
public enum VMStoreContextLayout {
    /// UInt64: generated code traps with `callStackExhausted` when the stack pointer would go
    /// below this address. The runtime sets it when entering wasm from the host.
    public static let stackLimit = 0
    /// Pointer to the current `VMActivation` (innermost host → wasm entry), or null.
    public static let activation = 8
    public static let size = 16
}

/// A function reference: the value of a funcref (null is the zero pointer) and the entries
/// of `VMContext.functions`. Host functions have the host-call stub as `code` and a
/// `VMHostFunctionContext` as `vmctx`.
public enum VMFuncRefLayout {
    public static let code = 0
    public static let vmctx = 8
    public static let typeID = 16
    public static let size = 32
}

/// A table: element storage is an array of 8-byte values (funcref: pointer to a VMFuncRef or
/// 0; externref: the host's 64-bit value, 0 for null).
public enum VMTableLayout {
    public static let elements = 0
    /// UInt64 current element count.
    public static let length = 8
    public static let size = 16
}

/// A linear memory. The base never moves while a reservation is used (guard-region mode);
/// with explicit bounds checks it may move on growth, so code reloads it after calls.
public enum VMMemoryLayout {
    public static let base = 0
    /// UInt64 current size in bytes.
    public static let length = 8
    public static let size = 16
}

/// The context of a host function, reached through `VMFuncRef.vmctx` when wasm calls it.
/// The host-call stub calls `dispatcher(context, values)` with the C calling convention, where
/// `values` points at the caller's argument/result slots. A non-zero return value means the
/// host function trapped; the stub then executes a trap site of kind `hostTrap` and the
/// runtime takes the pending error from the activation.
public enum VMHostFunctionContextLayout {
    /// `@convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> UInt32`
    public static let dispatcher = 0
    public static let headerSize = 8
}

/// The record the entry trampoline fills for one host → wasm call; the trap handler uses it
/// to unwind to the entry point. Compiled code touches only the fields below; the runtime keeps
/// private fields after `size` (trap kind, faulting pc, backtrace: `ActivationRecordLayout` in
/// WasmRuntime).
public enum VMActivationLayout {
    /// UInt64: the stack pointer saved by the entry trampoline after it pushed the
    /// callee-saved registers. The trap handler resumes at `trapExit` with this stack pointer
    /// and the trap kind in the return register (x86_64: eax).
    /// Cross-program call trampolines (`VMCrossCallContextLayout`) replace it for the duration
    /// of a call into another program (a nested trap boundary) and restore it afterwards, so a
    /// trap handler must read it at fault time, from the activation `VMStoreContext.activation`
    /// / the platform's current activation names.
    public static let entryStackPointer = 0
    public static let size = 8
}

/// Runtime functions the compiled code calls with the platform's C calling convention; each
/// takes the VMContext first. `VMContext.builtins` points to an array of their addresses,
/// in the order of the raw values.
public enum VMBuiltin: Int, CaseIterable, Sendable {
    /// (vmctx, memory: UInt32, deltaPages: UInt64) -> Int64 old size in pages, or -1.
    case memoryGrow = 0
    /// (vmctx, memory, destination: UInt64, value: UInt32, length: UInt64) -> UInt32 trap kind or 0.
    case memoryFill
    /// (vmctx, destinationMemory, sourceMemory, destination, source, length) -> UInt32 trap kind or 0.
    case memoryCopy
    /// (vmctx, memory, dataIndex, destination, source, length) -> UInt32 trap kind or 0.
    case memoryInit
    /// (vmctx, dataIndex) -> Void.
    case dataDrop
    /// (vmctx, table, initialValue: UInt64, delta: UInt64) -> Int64 old size, or -1.
    case tableGrow
    /// (vmctx, table, destination, value: UInt64, length) -> UInt32 trap kind or 0.
    case tableFill
    /// (vmctx, destinationTable, sourceTable, destination, source, length) -> UInt32 trap kind or 0.
    case tableCopy
    /// (vmctx, table, elementIndex, destination, source, length) -> UInt32 trap kind or 0.
    case tableInit
    /// (vmctx, elementIndex) -> Void.
    case elemDrop
    /// (vmctx, definedFunction: UInt32, loop: UInt32) -> UInt64. Called by tiered baseline code
    /// when the function's counter (`VMTieringSlotLayout.counter`) drops to zero or below, at
    /// function entry (`loop` = `VMTieringSlotLayout.functionEntry`) or at a loop header
    /// (`loop` = the `loop` instruction's byte offset in the module). The runtime may install
    /// optimised code (`redirect`) and resets the counter; at a loop header it returns the
    /// address of an on-stack-replacement entry for that loop, or 0 to go on in baseline code.
    case tierUp
}

/// One slot per defined function in the writable page(s) that follow tiered baseline code
/// (`CompiledModule.tieringDataOffset`), reached pc-relatively by that code.
///
/// - `redirect`: the baseline function's first instruction jumps through it. The runtime
///   fills it with the address right after that jump (`CompiledModule.baselineBodyOffsets`),
///   and replaces it with the optimised code's entry once there is one — one aligned 8-byte
///   store, so every caller (direct calls, tables, exports, other modules) switches at once.
/// - `counter`: Int64, decremented at every entry and loop header; at zero or below the code
///   calls `VMBuiltin.tierUp`.
///
/// An on-stack-replacement entry is called from the baseline frame with one argument, that
/// frame's frame pointer: it reads the frame's locals and operand slots (the baseline spills
/// everything at a loop header), runs the rest of the function and returns its results into
/// its argument slots; the baseline frame then returns them to its own caller.
public enum VMTieringSlotLayout {
    public static let redirect = 0
    public static let counter = 8
    public static let size = 16
    /// The `loop` argument of `VMBuiltin.tierUp` for a function entry.
    public static let functionEntry: UInt32 = 0xFFFF_FFFF
    /// Tiering data starts on its own page (it is writable, the code is not).
    public static let pageAlignment = 4096
}

/// Why wasm code stopped. Raw values cross the generated-code/runtime boundary (0 = no trap).
public enum TrapKind: UInt32, Equatable, Sendable {
    case unreachable = 1
    case memoryOutOfBounds
    case tableOutOfBounds
    case integerDivideByZero
    case integerOverflow
    case invalidConversionToInteger
    case indirectCallTypeMismatch
    case undefinedElement
    case uninitializedElement
    case callStackExhausted
    /// A host function reported an error; the runtime holds the details.
    case hostTrap
    /// The platform stopped the code from outside (the kernel delivers it to a program that
    /// was killed while it ran compiled code, so the runtime unwinds and frees as for a trap).
    case interrupted

    /// The WebAssembly spec test suite's wording.
    public var message: String {
        switch self {
        case .unreachable: return "unreachable"
        case .memoryOutOfBounds: return "out of bounds memory access"
        case .tableOutOfBounds: return "out of bounds table access"
        case .integerDivideByZero: return "integer divide by zero"
        case .integerOverflow: return "integer overflow"
        case .invalidConversionToInteger: return "invalid conversion to integer"
        case .indirectCallTypeMismatch: return "indirect call type mismatch"
        case .undefinedElement: return "undefined element"
        case .uninitializedElement: return "uninitialized element"
        case .callStackExhausted: return "call stack exhausted"
        case .hostTrap: return "host function trapped"
        case .interrupted: return "interrupted"
        }
    }
}
