import WasmCompiler
import WasmFrontEnd

/// Shared, long-lived state for compiling and running modules: the configuration, the
/// platform, the canonical function-type ids used by `call_indirect`, the builtin function
/// table and the shared stubs (entry trampoline, host-call stub).
public final class Engine {
    public struct Configuration {
        /// `.guardRegion`: each memory reserves `Memory.guardReservationBytes` so that any
        /// 32-bit address plus offset lands in the reservation and out-of-bounds accesses fault;
        /// `.explicit`: compiled code compares every address with the memory length.
        public var boundsChecks: BoundsCheckStrategy = .guardRegion
        /// Compile for the baseline ISA only, ignoring optional CPU features.
        public var forceBaselineISA = false
        /// Keep vector code to the legacy SSE encodings (no AVX, AVX2 or FMA), to measure what
        /// the VEX forms gain.
        public var disableAVX = false
        /// Which compiler tier produces the code. Tiered by default: baseline code starts at
        /// once, hot functions and loops move to the optimising tier.
        public var tier: CompilerTier = .tiered
        /// Tiered code: function entries plus loop iterations of a baseline function before it
        /// is optimised (0: at its first entry or loop header).
        public var tierUpThreshold = 10_000
        /// Tiered code with a threshold above zero: compile in the background (when the
        /// platform can: hosted, a compile thread) instead of on the thread that ran out.
        /// Off by default until it has soaked.
        public var backgroundTierUp = false
        /// Most stack that one host → wasm call may use (below the host's own frames).
        public var maxWasmStackBytes = 2 << 20
        /// Stack kept free at the bottom of the thread's stack for host functions and the
        /// trap handler when wasm uses its whole budget.
        public var hostStackReserveBytes = 256 << 10
        /// Upper bound on any memory's size in 64 KiB pages, whatever the module declares.
        public var memoryPageLimit: UInt64 = 65536
        /// Upper bound on any table's element count.
        public var tableElementLimit: UInt64 = 10_000_000

        public init() {}
    }

    public let configuration: Configuration
    public let platform: any Platform
    /// Optional instructions compiled code may use: detected with `cpuid`, or `.baseline` when
    /// the configuration forces it or the platform has no `cpuid`.
    public let cpuFeatures: X64CPUFeatures

    private var typeIDs: [FunctionType: UInt64] = [:]
    private var typesByID: [FunctionType] = []
    /// Builtin function addresses indexed by `VMBuiltin` raw value.
    let builtins: UnsafeMutablePointer<UnsafeRawPointer?>
    /// Where VM data (everything compiled code reads or writes) comes from.
    let vmData: VMDataAllocator
    /// Entry trampoline, trap exit and host-call stub shared by every store of this engine.
    var stubs: CodeMemory?
    var stubImage = CodeImage()

    public init(platform: any Platform, configuration: Configuration = Configuration()) {
        self.platform = platform
        self.configuration = configuration
        var features = configuration.forceBaselineISA ? .baseline : Engine.detectFeatures(platform)
        if configuration.disableAVX {
            features.hasAVX = false
            features.hasAVX2 = false
            features.hasFMA = false
        }
        cpuFeatures = features
        vmData = VMDataAllocator(platform: platform)
        builtins = vmData.allocate(capacity: VMBuiltin.allCases.count, of: UnsafeRawPointer?.self)
        fillBuiltinTable(builtins, platform: platform)
        if let image = try? compileStubs(engine: self) { installStubs(image) }
    }

    deinit { vmData.deallocate(builtins) }

    private static func detectFeatures(_ platform: any Platform) -> X64CPUFeatures {
        guard let leaf0 = platform.cpuid(leaf: 0, subleaf: 0), let leaf1 = platform.cpuid(leaf: 1, subleaf: 0) else {
            return .baseline
        }
        let leaf7 = leaf0.eax >= 7 ? platform.cpuid(leaf: 7, subleaf: 0) : nil
        let extended0 = platform.cpuid(leaf: 0x8000_0000, subleaf: 0)
        let extended1 = (extended0?.eax ?? 0) >= 0x8000_0001 ? platform.cpuid(leaf: 0x8000_0001, subleaf: 0) : nil
        return X64CPUFeatures(leaf1ECX: leaf1.ecx, leaf7EBX: leaf7?.ebx ?? 0, extendedLeaf1ECX: extended1?.ecx ?? 0)
    }

    /// What the baseline compiler is told.
    public var compilerConfiguration: CompilerConfiguration {
        CompilerConfiguration(boundsChecks: configuration.boundsChecks, cpuFeatures: cpuFeatures, tier: configuration.tier)
    }

    /// The canonical id of a function type; equal types get equal ids (never 0).
    public func typeID(of type: FunctionType) -> UInt64 {
        if let id = typeIDs[type] { return id }
        typesByID.append(type)
        let id = UInt64(typesByID.count)
        typeIDs[type] = id
        return id
    }

    /// The function type with a canonical id, if it was interned.
    public func functionType(ofID id: UInt64) -> FunctionType? {
        guard id >= 1, id <= UInt64(typesByID.count) else { return nil }
        return typesByID[Int(id - 1)]
    }

    /// Replaces the shared stubs (used by the compiler bridge and by tests with hand-written
    /// code). Returns false if the code could not be mapped.
    @discardableResult
    func installStubs(_ image: CodeImage) -> Bool {
        guard let memory = CodeMemory(platform: platform, image: image) else { return false }
        stubs = memory
        stubImage = image
        return true
    }

    var entryTrampoline: UnsafeRawPointer? {
        guard let stubs, let offset = stubImage.entryTrampoline else { return nil }
        return stubs.address(offset)
    }

    var hostCallStub: UnsafeRawPointer? {
        guard let stubs, let offset = stubImage.hostCallStub else { return nil }
        return stubs.address(offset)
    }
}
