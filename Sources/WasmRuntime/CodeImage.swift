import WasmCompiler
import WasmFrontEnd

/// Machine code for one module as the runtime consumes it: what the baseline compiler
/// produces (`CompilerBridge.swift` converts its output), or hand-written code in tests.
struct CodeImage {
    /// Position-independent machine code.
    var code: [UInt8] = []
    /// Start offset in `code` of each *defined* function, in function-section order.
    var functionOffsets: [Int] = []
    /// Machine-code size of each defined function, parallel to `functionOffsets`.
    var functionSizes: [Int] = []
    /// Instructions that fault on purpose, ascending by offset.
    var trapSites: [TrapSite] = []
    /// C ABI `(vmctx, code, values, slotCount, activation) -> UInt32 trap kind`.
    var entryTrampoline: Int?
    /// Resumed by the trap handler with the activation's stack pointer and the kind in eax.
    var trapExit: Int?
    /// `VMFuncRef.code` of host functions.
    var hostCallStub: Int?
    /// Tiered code: the start of the writable tiering slots at the end of `code` (page-aligned;
    /// mapped read-write, the code before it read-execute), and each function's body offset
    /// (the slots' initial redirect targets).
    var tieringDataOffset: Int?
    var baselineBodyOffsets: [Int] = []

    struct TrapSite {
        var offset: UInt32
        var kind: TrapKind
    }
}

/// A block of executable memory holding one `CodeImage`, registered with the trap handler for
/// as long as it lives. Never writable and executable at once: filled read-write, then
/// switched to read-execute.
final class CodeMemory {
    let platform: any Platform
    let base: UnsafeMutableRawPointer
    let reservedBytes: Int
    let codeSize: Int
    /// Where the tiering slots start (tiered code), else nil.
    private let tieringDataOffset: Int?
    private let trapOffsets: UnsafeMutablePointer<UInt32>
    private let trapKinds: UnsafeMutablePointer<UInt32>
    private var registered = false

    /// Nil if memory cannot be had, or the image has no trap exit while it has trap sites.
    /// `trapExit` overrides the image's own (code compiled at tier-up resumes through its
    /// module's trap exit).
    init?(platform: any Platform, image: CodeImage, trapExit externalTrapExit: UnsafeRawPointer? = nil) {
        let executableBytes = image.tieringDataOffset ?? image.code.count
        guard image.code.count > 0, executableBytes % platform.pageSize == 0 || image.tieringDataOffset == nil,
              let reserved = platform.roundUpToPage(image.code.count),
              let base = platform.reserve(byteCount: reserved)
        else { return nil }
        guard platform.commit(base, byteCount: reserved, protection: .readWrite) else {
            platform.release(base, byteCount: reserved)
            return nil
        }
        image.code.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { base.copyMemory(from: source, byteCount: bytes.count) }
        }
        if let data = image.tieringDataOffset {
            // Each redirect slot starts out pointing at its own function's body.
            for (index, bodyOffset) in image.baselineBodyOffsets.enumerated() {
                (base + data + index * VMTieringSlotLayout.size + VMTieringSlotLayout.redirect)
                    .storeBytes(of: UInt64(UInt(bitPattern: base + bodyOffset)), as: UInt64.self)
            }
        }
        guard platform.commit(base, byteCount: platform.roundUpToPage(executableBytes) ?? reserved, protection: .readExecute) else {
            platform.release(base, byteCount: reserved)
            return nil
        }
        self.platform = platform
        self.base = base
        self.reservedBytes = reserved
        self.codeSize = executableBytes
        self.tieringDataOffset = image.tieringDataOffset
        let count = image.trapSites.count
        trapOffsets = .allocate(capacity: max(count, 1))
        trapKinds = .allocate(capacity: max(count, 1))
        for (index, site) in image.trapSites.enumerated() {
            trapOffsets[index] = site.offset
            trapKinds[index] = site.kind.rawValue
        }
        var trapExitAddress = externalTrapExit
        if trapExitAddress == nil, let trapExit = image.trapExit, trapExit >= 0, trapExit < image.code.count {
            trapExitAddress = UnsafeRawPointer(base + trapExit)
        }
        if let trapExitAddress {
            registered = platform.registerCode(CodeRegistration(
                start: UnsafeRawPointer(base), byteCount: codeSize,
                trapSiteOffsets: UnsafePointer(trapOffsets), trapSiteKinds: UnsafePointer(trapKinds),
                trapSiteCount: count, trapExit: trapExitAddress))
        }
    }

    /// The writable tiering slots of tiered code, if any.
    var tieringSlots: UnsafeMutableRawPointer? {
        tieringDataOffset.map { base + $0 }
    }

    deinit {
        if registered { platform.unregisterCode(start: UnsafeRawPointer(base)) }
        platform.release(base, byteCount: reservedBytes)
        trapOffsets.deallocate()
        trapKinds.deallocate()
    }

    func address(_ offset: Int) -> UnsafeRawPointer { UnsafeRawPointer(base + offset) }

    func contains(_ pc: UInt) -> Bool {
        let start = UInt(bitPattern: base)
        return pc >= start && pc - start < UInt(codeSize)
    }
}
