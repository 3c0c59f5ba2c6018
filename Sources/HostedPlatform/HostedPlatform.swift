import CHostedPlatform
import Glibc
import WasmRuntime

/// The runtime's `Platform` on Linux: `mmap`/`mprotect`/`munmap` for memory, POSIX signal
/// handlers (installed once, chained to any previous handler) that turn faults at trap sites
/// of compiled code into traps, a thread-local current activation, and CPUID.
public final class HostedPlatform: Platform, @unchecked Sendable {
    /// The process-wide instance. It has no mutable state of its own (the current activation
    /// is thread-local in C), hence `@unchecked Sendable`.
    public static let shared = HostedPlatform()

    public let pageSize: Int

    /// Installs the trap handlers (once per process); prefer `shared`.
    public init() {
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        _ = apus_install_trap_handlers()
    }

    public func reserve(byteCount: Int) -> UnsafeMutableRawPointer? {
        guard byteCount > 0 else { return nil }
        let address = mmap(nil, byteCount, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let address, address != MAP_FAILED else { return nil }
        return address
    }

    public func commit(_ address: UnsafeMutableRawPointer, byteCount: Int, protection: MemoryProtection) -> Bool {
        let flags: Int32
        switch protection {
        case .none: flags = PROT_NONE
        case .readOnly: flags = PROT_READ
        case .readWrite: flags = PROT_READ | PROT_WRITE
        case .readExecute: flags = PROT_READ | PROT_EXEC
        }
        return mprotect(address, byteCount, flags) == 0
    }

    public func decommit(_ address: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
        // Replacing the pages with a fresh inaccessible mapping discards their contents.
        let result = mmap(address, byteCount, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0)
        return result == address
    }

    public func release(_ address: UnsafeMutableRawPointer, byteCount: Int) {
        munmap(address, byteCount)
    }

    public func registerCode(_ code: CodeRegistration) -> Bool {
        apus_register_code(code.start, code.byteCount, code.trapSiteOffsets, code.trapSiteKinds,
                           code.trapSiteCount, code.trapExit) == 0
    }

    public func unregisterCode(start: UnsafeRawPointer) {
        apus_unregister_code(start)
    }

    public var currentActivation: UnsafeMutableRawPointer? {
        get { apus_current_activation() }
        set { apus_set_current_activation(newValue) }
    }

    public func currentStackBounds() -> (low: UInt, high: UInt) {
        var low: UInt = 0
        var high: UInt = 0
        if apus_stack_bounds(&low, &high) != 0 {
            // Unknown bounds: assume a 1 MiB stack below the current frame.
            let sp = UInt(apus_stack_pointer())
            return (sp &- (1 << 20), sp)
        }
        return (low, high)
    }

    public func currentStackPointer() -> UInt { UInt(apus_stack_pointer()) }

    public func cpuid(leaf: UInt32, subleaf: UInt32) -> CPUIDResult? {
        var result = apus_cpuid_result()
        guard apus_cpuid(leaf, subleaf, &result) != 0 else { return nil }
        return CPUIDResult(eax: result.eax, ebx: result.ebx, ecx: result.ecx, edx: result.edx)
    }
}
