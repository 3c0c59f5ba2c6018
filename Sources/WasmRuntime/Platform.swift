/// What the runtime needs from the system it runs on: address space, executable memory, the
/// trap handler's view of compiled code, the current activation and the CPU. Hosted mode
/// implements it with Linux system calls and signals (`HostedPlatform`); the kernel implements
/// it with its own page tables and fault handlers.
public protocol Platform: AnyObject {
    /// Granularity of `reserve`/`commit`/`decommit` (a power of two).
    var pageSize: Int { get }

    /// Reserves `byteCount` bytes of inaccessible address space; nil if that is not possible.
    func reserve(byteCount: Int) -> UnsafeMutableRawPointer?
    /// Makes pages of a reservation accessible with `protection` (also used to change the
    /// protection of committed pages). Newly committed pages read as zero.
    func commit(_ address: UnsafeMutableRawPointer, byteCount: Int, protection: MemoryProtection) -> Bool
    /// Makes pages inaccessible again and discards their contents.
    func decommit(_ address: UnsafeMutableRawPointer, byteCount: Int) -> Bool
    /// Returns a whole reservation to the system.
    func release(_ address: UnsafeMutableRawPointer, byteCount: Int)

    /// Tells the trap handler about a range of compiled code and its trap sites. Until it is
    /// unregistered, the described memory (code and trap table) must stay valid.
    func registerCode(_ code: CodeRegistration) -> Bool
    func unregisterCode(start: UnsafeRawPointer)

    /// The innermost host → wasm activation of the current thread (an `ActivationRecordLayout`
    /// record), read by the trap handler.
    var currentActivation: UnsafeMutableRawPointer? { get set }

    /// Bounds of the current thread's stack, `low ..< high`, used to pick the stack limit
    /// that compiled code checks in its prologue.
    func currentStackBounds() -> (low: UInt, high: UInt)
    /// An address inside the caller's frame (approximately the stack pointer).
    func currentStackPointer() -> UInt

    /// x86_64 `cpuid` for the running processor; nil on other ISAs.
    func cpuid(leaf: UInt32, subleaf: UInt32) -> CPUIDResult?

    // Where compiled code runs. Hosted, it runs on the caller's thread with the host's
    // privileges, so the defaults (extension below) call straight through; the kernel runs it
    // in user mode, so it enters through its own path and hands out user memory and gates.

    /// Runs the entry trampoline (`VMEntryTrampoline` ABI) and returns its trap code, or nil
    /// to let the runtime call the trampoline directly.
    func callEntry(
        _ trampoline: UnsafeRawPointer, vmctx: UnsafeMutableRawPointer, code: UnsafeRawPointer,
        values: UnsafeMutableRawPointer, slotCount: UInt64, activation: UnsafeMutableRawPointer
    ) -> UInt32?
    /// Memory for data compiled code reads or writes (contexts, tables, globals, function
    /// references, activation records, argument slots); nil when exhausted.
    func allocateVMData(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer?
    func deallocateVMData(_ pointer: UnsafeMutableRawPointer)
    /// The address compiled code calls to reach the host function at `function` (a builtin or
    /// the host-function dispatcher).
    func hostCallGate(for function: UnsafeRawPointer) -> UnsafeRawPointer

    /// Runs `work` later, off the calling thread (hosted: a compile thread; the kernel: a
    /// compile task the scheduler runs when a CPU is free), one item at a time in submission
    /// order. False if the platform cannot (the caller then does the work itself).
    func runInBackground(_ work: @escaping () -> Void) -> Bool
    /// Guard the state that background work shares with running code (tier-up bookkeeping):
    /// one platform-wide lock, held only briefly and never across compilation.
    func lockBackgroundState()
    func unlockBackgroundState()
}

extension Platform {
    public func callEntry(
        _ trampoline: UnsafeRawPointer, vmctx: UnsafeMutableRawPointer, code: UnsafeRawPointer,
        values: UnsafeMutableRawPointer, slotCount: UInt64, activation: UnsafeMutableRawPointer
    ) -> UInt32? { nil }

    public func allocateVMData(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: alignment)
    }

    public func deallocateVMData(_ pointer: UnsafeMutableRawPointer) { pointer.deallocate() }

    public func hostCallGate(for function: UnsafeRawPointer) -> UnsafeRawPointer { function }

    public func runInBackground(_ work: @escaping () -> Void) -> Bool { false }
    public func lockBackgroundState() {}
    public func unlockBackgroundState() {}
}

/// Page protections. Writable and executable are never granted together.
public enum MemoryProtection: Equatable, Sendable {
    case none
    case readOnly
    case readWrite
    case readExecute
}

/// The four registers `cpuid` returns.
public struct CPUIDResult: Equatable, Sendable {
    public var eax: UInt32
    public var ebx: UInt32
    public var ecx: UInt32
    public var edx: UInt32

    public init(eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) {
        self.eax = eax
        self.ebx = ebx
        self.ecx = ecx
        self.edx = edx
    }
}

/// A range of executable code as the trap handler sees it: which instructions may fault on
/// purpose (trap sites, sorted by offset) and where to resume when one does.
public struct CodeRegistration {
    public var start: UnsafeRawPointer
    public var byteCount: Int
    /// `trapSiteCount` code offsets, ascending.
    public var trapSiteOffsets: UnsafePointer<UInt32>
    /// `TrapKind` raw values, parallel to `trapSiteOffsets`.
    public var trapSiteKinds: UnsafePointer<UInt32>
    public var trapSiteCount: Int
    /// The trap exit stub: resumed with the stack pointer `entryStackPointer` of the current
    /// activation and the trap kind in the return register.
    public var trapExit: UnsafeRawPointer

    public init(
        start: UnsafeRawPointer, byteCount: Int, trapSiteOffsets: UnsafePointer<UInt32>,
        trapSiteKinds: UnsafePointer<UInt32>, trapSiteCount: Int, trapExit: UnsafeRawPointer
    ) {
        self.start = start
        self.byteCount = byteCount
        self.trapSiteOffsets = trapSiteOffsets
        self.trapSiteKinds = trapSiteKinds
        self.trapSiteCount = trapSiteCount
        self.trapExit = trapExit
    }
}

extension Platform {
    /// Rounds `byteCount` up to a whole number of pages (nil on overflow).
    func roundUpToPage(_ byteCount: Int) -> Int? {
        let mask = pageSize - 1
        let (sum, overflow) = byteCount.addingReportingOverflow(mask)
        return overflow ? nil : sum & ~mask
    }
}

/// The runtime's record of one host → wasm call. Compiled code knows only its first field
/// (`VMActivationLayout.entryStackPointer`); the rest is filled by the platform's trap handler
/// and read back by the runtime. The hosted C trap handler mirrors this layout
/// (`apus_activation` in CHostedPlatform.h; a test checks they agree).
public enum ActivationRecordLayout {
    /// UInt64, written by the entry trampoline (`VMActivationLayout.entryStackPointer`).
    public static let entryStackPointer = 0
    /// Pointer to the enclosing activation of this thread, or null.
    public static let previous = 8
    /// UInt32 `TrapKind` raw value recorded by the trap handler (0: none).
    public static let trapKind = 16
    /// UInt32 number of valid entries in `backtrace`.
    public static let backtraceCount = 20
    /// UInt64 program counter of the faulting instruction.
    public static let faultingPC = 24
    /// UInt64 frame pointer at the fault.
    public static let faultingFramePointer = 32
    /// `backtraceCapacity` UInt64 program counters, innermost first (the faulting pc, then
    /// return addresses inside compiled code).
    public static let backtrace = 40
    public static let backtraceCapacity = 64
    public static let size = backtrace + 8 * backtraceCapacity
}
