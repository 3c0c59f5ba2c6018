/// How linear-memory accesses are kept inside the memory.
public enum BoundsCheckStrategy: Equatable, Sendable {
    /// No check in the code: the runtime reserves address space so that any access with a
    /// 32-bit address and an offset below 2 GiB lands in the memory or in an inaccessible guard
    /// region (see `VMMemoryLayout`), and maps the resulting fault to `memoryOutOfBounds`
    /// through the trap table. Accesses whose static offset is 2 GiB or more are checked
    /// explicitly even in this mode.
    case guardRegion
    /// Every access compares `address + offset + width` with `VMMemory.length` first.
    case explicit
}

/// Which compiler produces a module's code.
public enum CompilerTier: String, Equatable, Sendable, CaseIterable {
    /// The single-pass baseline compiler: fastest to compile.
    case baseline
    /// The optimising compiler (SSA IR, passes, register allocation), function by function;
    /// functions beyond its limits (see `OptimizingCompilerLimits`) use the baseline.
    case optimizing
    /// Baseline code that counts function entries and loop iterations and asks the runtime
    /// (`VMBuiltin.tierUp`) to replace a hot function by optimised code — and a hot loop's
    /// activation by an on-stack-replacement entry (`compileTierUp`).
    case tiered
}

/// Options of the compilers.
public struct CompilerConfiguration: Equatable, Sendable {
    public var boundsChecks: BoundsCheckStrategy
    /// Optional instructions the generated code may use (from CPUID on the machine that will
    /// run it); `.baseline` forces the SSE2-only fallback sequences.
    public var cpuFeatures: X64CPUFeatures
    public var tier: CompilerTier
    /// Run the IR verifier after every pass (tests).
    public var verifyIR: Bool

    public init(boundsChecks: BoundsCheckStrategy = .guardRegion, cpuFeatures: X64CPUFeatures = .baseline,
                tier: CompilerTier = .baseline, verifyIR: Bool = false) {
        self.boundsChecks = boundsChecks
        self.cpuFeatures = cpuFeatures
        self.tier = tier
        self.verifyIR = verifyIR
    }
}
