/// The output of the compiler for one module: position-independent machine code for every
/// defined function plus the runtime stubs, and the metadata the runtime needs to call into it
/// and to turn faults into traps. ISA-neutral: the ISA only shapes the bytes.
public struct CompiledModule: Sendable {
    /// All code of the module. The runtime copies it into an executable mapping as is; every
    /// offset below is relative to the start of this blob.
    public var code: [UInt8]
    /// One entry per *defined* function (function index minus the imported function count),
    /// in increasing code-offset order.
    public var functions: [CompiledFunction]
    /// Every instruction that may trap, sorted by `codeOffset`: explicit trap instructions
    /// (`ud2` on x86_64) and memory accesses that may fault in a guard region.
    public var trapSites: [TrapSite]
    /// Offsets of the stubs in `code`.
    public var stubs: CompiledStubs
    /// Number of imported functions (function index of `functions[0]`).
    public var importedFunctionCount: Int

    /// Tiered code (`CompilerTier.tiered`): offset of the writable tiering slots
    /// (`VMTieringSlotLayout`, one per defined function, page-aligned, at the end of `code`).
    public var tieringDataOffset: UInt32?
    /// Tiered code: where each defined function continues after its entry's redirect jump
    /// (the initial value of its `redirect` slot, relative to `code`).
    public var baselineBodyOffsets: [UInt32] = []

    public init(code: [UInt8], functions: [CompiledFunction], trapSites: [TrapSite], stubs: CompiledStubs,
                importedFunctionCount: Int) {
        self.code = code
        self.functions = functions
        self.trapSites = trapSites
        self.stubs = stubs
        self.importedFunctionCount = importedFunctionCount
    }

    /// The trap kind of the trap site at exactly `codeOffset`, or nil if that pc is not one.
    public func trapKind(atCodeOffset codeOffset: UInt32) -> TrapKind? {
        var low = 0
        var high = trapSites.count
        while low < high {
            let middle = (low + high) / 2
            if trapSites[middle].codeOffset < codeOffset { low = middle + 1 } else { high = middle }
        }
        guard low < trapSites.count, trapSites[low].codeOffset == codeOffset else { return nil }
        return trapSites[low].kind
    }

    /// The function index (imports included) whose code contains `codeOffset`, or nil for
    /// stubs and padding. Used to symbolize backtraces.
    public func functionIndex(containingCodeOffset codeOffset: UInt32) -> UInt32? {
        var low = 0
        var high = functions.count
        while low < high {
            let middle = (low + high) / 2
            if functions[middle].codeOffset + functions[middle].codeSize <= codeOffset { low = middle + 1 } else { high = middle }
        }
        guard low < functions.count, functions[low].codeOffset <= codeOffset else { return nil }
        return UInt32(truncatingIfNeeded: importedFunctionCount + low)
    }

    /// Code offset of the defined function with function index `functionIndex`, or nil for
    /// imports and out-of-range indices.
    public func codeOffset(ofFunction functionIndex: UInt32) -> UInt32? {
        let position = Int(functionIndex) - importedFunctionCount
        guard position >= 0, position < functions.count else { return nil }
        return functions[position].codeOffset
    }
}

/// Where one defined function's code lives in `CompiledModule.code`.
public struct CompiledFunction: Equatable, Sendable {
    /// Offset of the function's entry point.
    public var codeOffset: UInt32
    /// Size in bytes, including its out-of-line trap instructions.
    public var codeSize: UInt32
    /// Bytes of stack the function's frame uses below the return address (frame pointer
    /// included); informative.
    public var frameSize: UInt32

    public init(codeOffset: UInt32, codeSize: UInt32, frameSize: UInt32) {
        self.codeOffset = codeOffset
        self.codeSize = codeSize
        self.frameSize = frameSize
    }
}

/// An instruction that may trap, and why.
public struct TrapSite: Equatable, Sendable {
    /// Offset of the instruction's first byte in `CompiledModule.code`.
    public var codeOffset: UInt32
    public var kind: TrapKind

    public init(codeOffset: UInt32, kind: TrapKind) {
        self.codeOffset = codeOffset
        self.kind = kind
    }
}

/// Entry points of the runtime stubs in `CompiledModule.code`.
public struct CompiledStubs: Equatable, Sendable {
    /// The host → wasm entry trampoline, C calling convention:
    /// `(vmctx, code, values, slotCount, activation) -> UInt32` — returns 0 after copying the
    /// callee's results back into `values`. `values` must hold `slotCount` 8-byte slots with
    /// the arguments (`slotCount` = max(params, results) of the callee's type).
    public var entryTrampoline: UInt32
    /// Where the trap handler resumes with the stack pointer set to
    /// `VMActivation.entryStackPointer` and the trap kind in the return register; it returns
    /// that kind from the entry trampoline.
    public var trapExit: UInt32
    /// `VMFuncRef.code` for host functions (see `VMHostFunctionContextLayout`).
    public var hostCall: UInt32
    /// One past the last byte of the stubs (the stubs occupy `entryTrampoline..<end`).
    public var end: UInt32

    public init(entryTrampoline: UInt32, trapExit: UInt32, hostCall: UInt32, end: UInt32) {
        self.entryTrampoline = entryTrampoline
        self.trapExit = trapExit
        self.hostCall = hostCall
        self.end = end
    }
}
