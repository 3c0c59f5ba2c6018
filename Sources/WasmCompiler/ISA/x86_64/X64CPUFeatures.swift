/// Optional x86_64 instruction-set extensions the code generator may use. Built from raw CPUID
/// register values (the runtime reads CPUID through C glue); `.baseline` assumes nothing beyond
/// SSE2, which every x86_64 CPU has.
public struct X64CPUFeatures: Equatable, Sendable {
    /// `popcnt` (CPUID.1:ECX bit 23).
    public var hasPOPCNT: Bool
    /// `lzcnt` (ABM; CPUID.80000001h:ECX bit 5).
    public var hasLZCNT: Bool
    /// BMI1, which includes `tzcnt` (CPUID.7.0:EBX bit 3).
    public var hasBMI1: Bool
    /// BMI2 (CPUID.7.0:EBX bit 8).
    public var hasBMI2: Bool
    /// SSSE3 (`pshufb`, `pabs*`, `pmulhrsw`, `palignr`; CPUID.1:ECX bit 9).
    public var hasSSSE3: Bool
    /// SSE4.1 (`roundss`/`roundsd`, `pinsr*`/`pextr*`, `pmovsx*`, `pmulld`…; CPUID.1:ECX bit 19).
    public var hasSSE41: Bool
    /// SSE4.2 (`pcmpgtq`; CPUID.1:ECX bit 20).
    public var hasSSE42: Bool
    /// AVX (CPUID.1:ECX bit 28; also needs OS support, reported by OSXSAVE bit 27).
    public var hasAVX: Bool
    /// AVX2 (CPUID.7.0:EBX bit 5).
    public var hasAVX2: Bool
    /// FMA3 (`vfmadd231ps`…; CPUID.1:ECX bit 12, with AVX).
    public var hasFMA: Bool

    public init(hasPOPCNT: Bool = false, hasLZCNT: Bool = false, hasBMI1: Bool = false, hasBMI2: Bool = false,
                hasSSE41: Bool = false, hasAVX: Bool = false, hasAVX2: Bool = false,
                hasSSSE3: Bool = false, hasSSE42: Bool = false, hasFMA: Bool = false) {
        self.hasPOPCNT = hasPOPCNT
        self.hasLZCNT = hasLZCNT
        self.hasBMI1 = hasBMI1
        self.hasBMI2 = hasBMI2
        self.hasSSE41 = hasSSE41
        self.hasSSSE3 = hasSSSE3
        self.hasSSE42 = hasSSE42
        self.hasAVX = hasAVX
        self.hasAVX2 = hasAVX2
        self.hasFMA = hasFMA
    }

    /// Decodes the feature bits from CPUID leaf 1 ECX, leaf 7 (subleaf 0) EBX and extended leaf
    /// 0x80000001 ECX. AVX (and AVX2, FMA) is reported only if the OS enabled XSAVE (OSXSAVE);
    /// the platforms' `cpuid` also clears the AVX bits unless XCR0 says the OS saves AVX state.
    public init(leaf1ECX: UInt32, leaf7EBX: UInt32, extendedLeaf1ECX: UInt32) {
        func bit(_ value: UInt32, _ index: UInt32) -> Bool { value & (1 << index) != 0 }
        let osxsave = bit(leaf1ECX, 27)
        self.init(
            hasPOPCNT: bit(leaf1ECX, 23),
            hasLZCNT: bit(extendedLeaf1ECX, 5),
            hasBMI1: bit(leaf7EBX, 3),
            hasBMI2: bit(leaf7EBX, 8),
            hasSSE41: bit(leaf1ECX, 19),
            hasAVX: osxsave && bit(leaf1ECX, 28),
            hasAVX2: osxsave && bit(leaf1ECX, 28) && bit(leaf7EBX, 5),
            hasSSSE3: bit(leaf1ECX, 9),
            hasSSE42: bit(leaf1ECX, 20),
            hasFMA: osxsave && bit(leaf1ECX, 28) && bit(leaf1ECX, 12))
    }

    /// Nothing beyond SSE2: every optional instruction uses its fallback sequence.
    public static let baseline = X64CPUFeatures()

    /// Whether `tzcnt` is available (it is part of BMI1).
    public var hasTZCNT: Bool { hasBMI1 }
}
