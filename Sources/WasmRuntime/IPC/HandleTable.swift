/// Why an IPC operation was refused. Each case maps to one WASI errno for guests (`errno`).
public enum IPCError: Error, Equatable, Sendable {
    /// The handle is not in the table (never issued, closed, moved away, or stale), or the
    /// endpoint is closed. EBADF.
    case badHandle
    /// The handle table is full. EMFILE.
    case tooManyHandles
    /// The queue is full (send) or empty (non-blocking receive). EAGAIN.
    case wouldBlock
    /// The other endpoint is closed (and, for receive, nothing is queued). EPIPE.
    case peerClosed
    /// A message over the channel's byte or handle limit. EMSGSIZE.
    case messageTooLarge
    /// The receive buffers are too small for the next message, which stays queued. EMSGSIZE.
    case bufferTooSmall(byteCount: Int, handleCount: Int)
    /// A handle listed twice, or an endpoint sent through its own channel. EINVAL.
    case invalidArgument
    /// A guest pointer outside the caller's memory. EFAULT.
    case fault
    /// The platform ended a wait (`IPCMonitor.wait` returned false). EINTR.
    case interrupted
    /// The program at the other end trapped and the kernel restarted it: the requests it had
    /// not answered are lost (reported once, to the next receive). ECONNRESET.
    case peerRestarted

    /// The WASI errno guests see.
    public var errno: UInt32 {
        switch self {
        case .badHandle: return IPCErrno.badf
        case .tooManyHandles: return IPCErrno.mfile
        case .wouldBlock: return IPCErrno.again
        case .peerClosed: return IPCErrno.pipe
        case .messageTooLarge, .bufferTooSmall: return IPCErrno.msgsize
        case .invalidArgument: return IPCErrno.inval
        case .fault: return IPCErrno.fault
        case .interrupted: return IPCErrno.intr
        case .peerRestarted: return IPCErrno.connreset
        }
    }
}

/// The WASI (preview 1) errno values the IPC host functions return.
public enum IPCErrno {
    public static let success: UInt32 = 0
    public static let again: UInt32 = 6
    public static let badf: UInt32 = 8
    public static let connreset: UInt32 = 15
    public static let fault: UInt32 = 21
    public static let intr: UInt32 = 27
    public static let inval: UInt32 = 28
    public static let mfile: UInt32 = 33
    public static let msgsize: UInt32 = 35
    public static let pipe: UInt32 = 64
}

/// A program's name for a kernel object: a slot index in the low `HandleTable.indexBits` bits
/// and the slot's generation above them. Never 0 and never negative as an i32, so guests may
/// use 0 or -1 for "no handle".
public struct Handle: Equatable, Hashable, Sendable {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    var index: Int { Int(rawValue & HandleTable.indexMask) }
    var generation: UInt32 { rawValue >> UInt32(HandleTable.indexBits) }
}

/// An object a handle can name. Payloads are classes created at run time (the kernel's
/// Embedded build must not see statically initialised payloads in multi-payload enums).
/// Other kernel objects (devices, DMA buffers: docs/DEVICES.md) are `resource`s the platform
/// defines.
public enum KernelObject {
    case channelEndpoint(ChannelEndpoint)
    /// `indirect`: the existential's witness-table pointer lies in the kernel image (a negative
    /// address), which must not share spare bits with the case tag (kernel/README.md,
    /// "Objects inside the kernel image as a multi-payload enum's payload fault").
    indirect case resource(any KernelResource)

    /// Releases what the object holds for its owner (an endpoint closes, waking its peer).
    public func close() {
        switch self {
        case .channelEndpoint(let endpoint): endpoint.close()
        case .resource(let resource): resource.close()
        }
    }

    /// The platform object, if this is one.
    public var resource: (any KernelResource)? {
        if case .resource(let resource) = self { return resource }
        return nil
    }

    /// Whether a message (or a spawn) may carry the object to another program.
    public var isTransferable: Bool {
        switch self {
        case .channelEndpoint: return true
        case .resource(let resource): return resource.isTransferable
        }
    }

    /// The endpoint, if this is one.
    public var channelEndpoint: ChannelEndpoint? {
        switch self {
        case .channelEndpoint(let endpoint): return endpoint
        case .resource: return nil
        }
    }
}

/// A kernel object the platform defines (the kernel's devices and DMA buffers), held in a
/// program's `HandleTable` like a channel end.
public protocol KernelResource: AnyObject {
    /// Releases what the object holds for its owner (called once, when its handle is closed
    /// or its program ends).
    func close()
    /// Whether a channel message may move it to another program (a device granted by the
    /// manifest to one program must not be: false).
    var isTransferable: Bool { get }
}

/// One program's table of kernel objects. A handle is refused once its object is removed: the
/// slot's generation moves on, and a slot whose generation would wrap is retired instead of
/// reused, so a stale handle can never name a newer object.
///
/// Not locked: a table belongs to one program and is used from that program's thread (the
/// kernel runs a program on one task at a time). Channels never touch a table themselves; the
/// send/receive calls that move handles run on the owning program's thread.
public final class HandleTable {
    /// Index bits of a handle; a table holds at most `1 << indexBits` slots.
    public static let indexBits = 12
    static let indexMask: UInt32 = (1 << UInt32(indexBits)) - 1
    /// Generations run from 1 to `generationLimit - 1` (bit 31 of a handle stays clear).
    static let generationLimit: UInt32 = 1 << UInt32(31 - indexBits)
    public static let defaultLimit = 1024

    private struct Slot {
        var generation: UInt32
        var object: KernelObject?
    }

    private var slots: [Slot] = []
    /// Free slot indices, most recently freed last (reused first).
    private var freeSlots: [Int] = []
    /// Maximum number of slots (live, free and retired).
    public let limit: Int
    /// Number of live handles.
    public private(set) var count = 0

    /// A table of at most `limit` entries (clamped to 1 ... `1 << indexBits`).
    public init(limit: Int = HandleTable.defaultLimit) {
        self.limit = min(max(limit, 1), 1 << HandleTable.indexBits)
    }

    deinit { closeAll() }

    /// How many more objects `insert` accepts.
    public var freeCount: Int { freeSlots.count + (limit - slots.count) }

    /// Stores `object` and returns its new handle; `.tooManyHandles` if the table is full.
    public func insert(_ object: KernelObject) throws(IPCError) -> Handle {
        let index: Int
        if let reused = freeSlots.popLast() {
            index = reused
            slots[index].object = object
        } else {
            guard slots.count < limit else { throw .tooManyHandles }
            index = slots.count
            slots.append(Slot(generation: 1, object: object))
        }
        count += 1
        return Handle(rawValue: slots[index].generation << UInt32(HandleTable.indexBits) | UInt32(index))
    }

    /// The object `handle` names; `.badHandle` if none (stale, closed, moved, never issued).
    public func get(_ handle: Handle) throws(IPCError) -> KernelObject {
        guard let object = lookup(handle) else { throw .badHandle }
        return object
    }

    /// Removes `handle` and returns its object without closing it (to move it elsewhere).
    public func take(_ handle: Handle) throws(IPCError) -> KernelObject {
        guard let object = lookup(handle) else { throw .badHandle }
        vacate(handle.index)
        return object
    }

    /// Empties a live slot and moves its generation on.
    private func vacate(_ index: Int) {
        slots[index].object = nil
        count -= 1
        let next = slots[index].generation + 1
        if next < HandleTable.generationLimit {
            slots[index].generation = next
            freeSlots.append(index)
        }
        // Otherwise the slot is retired: no later handle may reuse this index.
    }

    /// Closes `handle`: removes it and closes its object.
    public func remove(_ handle: Handle) throws(IPCError) {
        let object = try take(handle)
        object.close()
    }

    /// Removes the objects `keep` selects without closing them (what a restarted program
    /// keeps), in slot order.
    public func takeObjects(where keep: (KernelObject) -> Bool) -> [KernelObject] {
        var taken: [KernelObject] = []
        for index in slots.indices {
            if let object = slots[index].object, keep(object) {
                taken.append(object)
                vacate(index)
            }
        }
        return taken
    }

    /// Closes every handle and forgets every slot, so the next objects get a fresh table's
    /// handles (4096, 4097, …): for a program the kernel starts again after a trap, whose new
    /// instance never saw the old handles (they cannot be stale for it).
    public func closeAllAndStartOver() {
        closeAll()
        slots = []
        freeSlots = []
    }

    /// Closes every handle (a program exiting). Objects are closed after the table is
    /// updated, so closing may safely reach other tables.
    public func closeAll() {
        var objects: [KernelObject] = []
        for index in slots.indices {
            if let object = slots[index].object {
                objects.append(object)
                vacate(index)
            }
        }
        for object in objects { object.close() }
    }

    private func lookup(_ handle: Handle) -> KernelObject? {
        let index = handle.index
        guard index < slots.count, slots[index].generation == handle.generation else { return nil }
        return slots[index].object
    }
}
