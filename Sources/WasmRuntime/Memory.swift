import WasmCompiler
import WasmFrontEnd

/// A linear memory (64 KiB pages). Compiled code reaches it through its `VMMemory` record
/// (base, length in bytes).
///
/// Guard-region mode reserves `Memory.guardReservationBytes` once and commits pages
/// read-write as the memory grows, so the base never moves. Explicit mode maps exactly the
/// current size and moves the memory when it grows.
public final class Memory {
    public static let pageSize: UInt64 = 65536
    /// 4 GiB of addresses plus 4 GiB of static offsets plus a guard for the widest access.
    public static let guardReservationBytes = (8 << 30) + (64 << 10)

    let platform: any Platform
    private let vmData: VMDataAllocator
    let usesGuardRegion: Bool
    /// The `VMMemory` record (16 bytes).
    let vmMemory: UnsafeMutableRawPointer
    /// Declared maximum, if any.
    public let maximumPages: UInt64?
    /// The effective maximum: the declared one, capped by the engine's limit and 4 GiB.
    public let pageLimit: UInt64
    /// The largest size (pages) a `grow` asked for and the engine's limit refused, for a
    /// system to say why a program ran out of memory (the declared maximum is the program's own).
    public private(set) var largestRefusedPages: UInt64?
    /// The largest size (pages) a `grow` within the limit asked for that the platform could not
    /// commit (the machine is out of memory), if any.
    public private(set) var largestPagesRefusedForMemory: UInt64?
    private var reservation: UnsafeMutableRawPointer?
    private var reservedBytes = 0
    private var committedBytes = 0

    /// Allocates a memory of `type.limits.min` pages; nil if the engine's limits or the
    /// platform refuse it.
    public init?(engine: Engine, type: MemoryType) {
        platform = engine.platform
        usesGuardRegion = engine.configuration.boundsChecks == .guardRegion
        maximumPages = type.limits.max
        pageLimit = min(type.limits.max ?? 65536, engine.configuration.memoryPageLimit, 65536)
        vmData = engine.vmData
        vmMemory = vmData.allocateZeroed(byteCount: VMMemoryLayout.size)
        guard type.limits.min <= pageLimit else { return nil }
        if usesGuardRegion {
            guard let base = platform.reserve(byteCount: Memory.guardReservationBytes) else { return nil }
            reservation = base
            reservedBytes = Memory.guardReservationBytes
            setRecord(base: base, length: 0)
        } else {
            // A memory of size 0 still needs a distinct non-null base.
            guard let base = platform.reserve(byteCount: platform.pageSize) else { return nil }
            reservation = base
            reservedBytes = platform.pageSize
            setRecord(base: base, length: 0)
        }
        guard grow(by: type.limits.min) != nil else { return nil }
    }

    deinit {
        if let reservation { platform.release(reservation, byteCount: reservedBytes) }
        vmData.deallocate(vmMemory)
    }

    /// Base address of the memory's bytes.
    public var baseAddress: UnsafeMutableRawPointer {
        vmMemory.load(fromByteOffset: VMMemoryLayout.base, as: UnsafeMutableRawPointer.self)
    }

    /// Current size in bytes.
    public var byteCount: UInt64 { vmMemory.load(fromByteOffset: VMMemoryLayout.length, as: UInt64.self) }

    /// Current size in pages.
    public var pageCount: UInt64 { byteCount / Memory.pageSize }

    /// The memory's current type (min = current size), for import matching.
    public var type: MemoryType { MemoryType(limits: Limits(min: pageCount, max: maximumPages)) }

    private func setRecord(base: UnsafeMutableRawPointer, length: UInt64) {
        vmMemory.storeBytes(of: base, toByteOffset: VMMemoryLayout.base, as: UnsafeMutableRawPointer.self)
        vmMemory.storeBytes(of: length, toByteOffset: VMMemoryLayout.length, as: UInt64.self)
    }

    /// Grows by `deltaPages`; returns the old size in pages, or nil (memory unchanged) if the
    /// maximum would be exceeded or memory cannot be had.
    @discardableResult
    public func grow(by deltaPages: UInt64) -> UInt64? {
        let oldPages = pageCount
        guard deltaPages <= pageLimit, oldPages + deltaPages <= pageLimit else {
            let wanted = deltaPages > 65536 ? 65537 : oldPages + deltaPages
            if wanted <= maximumPages ?? 65536 { largestRefusedPages = max(largestRefusedPages ?? 0, wanted) }
            return nil
        }
        if deltaPages == 0 { return oldPages }
        let newBytes = (oldPages + deltaPages) * Memory.pageSize
        guard newBytes <= UInt64(Int.max), let newCommitted = platform.roundUpToPage(Int(newBytes)) else { return nil }
        if usesGuardRegion {
            guard let reservation else { return nil }
            if newCommitted > committedBytes {
                guard platform.commit(reservation + committedBytes, byteCount: newCommitted - committedBytes,
                                      protection: .readWrite) else {
                    largestPagesRefusedForMemory = max(largestPagesRefusedForMemory ?? 0, oldPages + deltaPages)
                    return nil
                }
                committedBytes = newCommitted
            }
            setRecord(base: reservation, length: newBytes)
        } else {
            guard let newBase = platform.reserve(byteCount: newCommitted) else { return nil }
            guard platform.commit(newBase, byteCount: newCommitted, protection: .readWrite) else {
                platform.release(newBase, byteCount: newCommitted)
                largestPagesRefusedForMemory = max(largestPagesRefusedForMemory ?? 0, oldPages + deltaPages)
                return nil
            }
            let oldBytes = Int(byteCount)
            if oldBytes > 0 { newBase.copyMemory(from: baseAddress, byteCount: oldBytes) }
            if let reservation { platform.release(reservation, byteCount: reservedBytes) }
            reservation = newBase
            reservedBytes = newCommitted
            committedBytes = newCommitted
            setRecord(base: newBase, length: newBytes)
        }
        return oldPages
    }

    /// Whether `offset ..< offset + count` lies inside the memory.
    func contains(offset: UInt64, count: UInt64) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(count)
        return !overflow && end <= byteCount
    }

    /// Copies bytes out of the memory; nil if the range is out of bounds.
    public func read(offset: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, contains(offset: offset, count: UInt64(count)) else { return nil }
        let source = UnsafeRawPointer(baseAddress + Int(offset))
        return [UInt8](UnsafeRawBufferPointer(start: source, count: count))
    }

    /// Copies bytes into the memory; false (nothing written) if the range is out of bounds.
    @discardableResult
    public func write(offset: UInt64, bytes: [UInt8]) -> Bool {
        guard contains(offset: offset, count: UInt64(bytes.count)) else { return false }
        bytes.withUnsafeBytes { buffer in
            if let source = buffer.baseAddress {
                (baseAddress + Int(offset)).copyMemory(from: source, byteCount: buffer.count)
            }
        }
        return true
    }
}
