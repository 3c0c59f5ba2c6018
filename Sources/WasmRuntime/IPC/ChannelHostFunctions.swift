import WasmFrontEnd

/// One program's IPC state for the host functions: its handle table, the memory guest
/// pointers refer to, and the platform's scheduler for channels it creates.
///
/// Host functions of import module `apus` (all parameters and results i32; results are WASI
/// errno values; "handle" is an i32 from the caller's table):
///
/// | function | parameters | does |
/// |---|---|---|
/// | `channel_create` | `ends_ptr` | creates a channel, writes its two handles (2 × i32) at `ends_ptr` |
/// | `channel_send` | `handle, bytes_ptr, bytes_len, handles_ptr, handles_count` | queues a message; the listed handles move into it (never blocks) |
/// | `channel_recv` | `handle, buf_ptr, buf_cap, handles_ptr, handles_cap, sizes_ptr` | blocks for the next message; writes its bytes, its new handles, and (byte count, handle count) as 2 × i32 at `sizes_ptr` |
/// | `channel_try_recv` | as `channel_recv` | the same without blocking |
/// | `handle_close` | `handle` | closes the handle |
///
/// Errors: `EBADF` 8 (not a live handle, or not a channel endpoint), `EFAULT` 21 (a buffer
/// outside the caller's memory; checked before anything happens), `EAGAIN` 6 (queue full on
/// send, empty on `channel_try_recv`), `EPIPE` 64 (peer closed; for receive only once the
/// queue is empty), `EMSGSIZE` 35 (send: over the channel's limits; receive: the buffers are too
/// small — the message stays queued and its sizes are written at `sizes_ptr`), `EMFILE` 33
/// (the table is full; a receive keeps the message), `EINVAL` 28 (a handle listed twice, or an
/// endpoint sent through its own channel), `EINTR` 27 (the platform ended a blocking wait).
/// A failed call changes nothing.
public final class IPCContext {
    public static let moduleName = "apus"

    public let handles: HandleTable
    public let scheduler: any IPCScheduler
    /// Limits of channels this program creates.
    public var limits: ChannelLimits
    /// The memory guest pointers refer to (memory 0 of the instance, see `bind`); without one
    /// every non-empty buffer is `EFAULT`.
    public var memory: Memory?

    public init(scheduler: any IPCScheduler, handles: HandleTable = HandleTable(),
                limits: ChannelLimits = ChannelLimits()) {
        self.scheduler = scheduler
        self.handles = handles
        self.limits = limits
    }

    /// Uses memory 0 of `instance` (exported or not) for guest pointers; false if it has none.
    @discardableResult
    public func bind(_ instance: Instance) -> Bool {
        memory = instance.entity.memory(at: 0)
        return memory != nil
    }

    /// Defines the functions of the table above in `linker`, bound to this context.
    public func define(in linker: Linker, store: Store) {
        let functions: [(name: String, parameterCount: Int, body: (IPCContext, [Value]) throws(IPCError) -> Void)] = [
            ("channel_create", 1, { context, values throws(IPCError) in try context.channelCreate(values) }),
            ("channel_send", 5, { context, values throws(IPCError) in try context.channelSend(values) }),
            ("channel_recv", 6, { context, values throws(IPCError) in
                try context.channelReceive(values, blocking: true) }),
            ("channel_try_recv", 6, { context, values throws(IPCError) in
                try context.channelReceive(values, blocking: false) }),
            ("handle_close", 1, { context, values throws(IPCError) in try context.handleClose(values) }),
        ]
        for function in functions {
            let type = FunctionType(parameters: [ValueType](repeating: .i32, count: function.parameterCount),
                                    results: [.i32])
            let body = function.body
            linker.defineFunction(store: store, module: IPCContext.moduleName, name: function.name, type: type) {
                [self] _, values throws(Trap) in
                do throws(IPCError) {
                    try body(self, values)
                    return [.i32(IPCErrno.success)]
                } catch {
                    return [.i32(error.errno)]
                }
            }
        }
    }

    // MARK: The functions

    func channelCreate(_ values: [Value]) throws(IPCError) {
        let guest = GuestBuffers(memory)
        let ends = argument(values, 0)
        try guest.check(ends, 8)
        guard handles.freeCount >= 2 else { throw .tooManyHandles }
        let (first, second) = ChannelEndpoint.makePair(scheduler: scheduler, limits: limits)
        let firstHandle = try handles.insert(.channelEndpoint(first))
        let secondHandle = try handles.insert(.channelEndpoint(second))
        try guest.store32(ends, firstHandle.rawValue)
        try guest.store32(ends &+ 4, secondHandle.rawValue)
    }

    func channelSend(_ values: [Value]) throws(IPCError) {
        let endpoint = try self.endpoint(argument(values, 0))
        let bytesAddress = argument(values, 1)
        let byteCount = argument(values, 2)
        let handlesAddress = argument(values, 3)
        let handleCount = argument(values, 4)
        let limits = endpoint.state.limits
        // Limits first: they also bound the copies below.
        guard Int(byteCount) <= limits.messageBytes, Int(handleCount) <= limits.messageHandles else {
            throw .messageTooLarge
        }
        let guest = GuestBuffers(memory)
        try guest.check(bytesAddress, UInt64(byteCount))
        try guest.check(handlesAddress, UInt64(handleCount) * 4)
        let bytes = try guest.bytes(bytesAddress, byteCount)
        var sent: [Handle] = []
        sent.reserveCapacity(Int(handleCount))
        for index in 0..<handleCount {
            sent.append(Handle(rawValue: try guest.load32(handlesAddress &+ index &* 4)))
        }
        try endpoint.send(bytes: bytes, handles: sent, from: handles, blocking: false)
    }

    func channelReceive(_ values: [Value], blocking: Bool) throws(IPCError) {
        let endpoint = try self.endpoint(argument(values, 0))
        let bufferAddress = argument(values, 1)
        let bufferCapacity = argument(values, 2)
        let handlesAddress = argument(values, 3)
        let handleCapacity = argument(values, 4)
        let sizesAddress = argument(values, 5)
        let checked = GuestBuffers(memory)
        try checked.check(bufferAddress, UInt64(bufferCapacity))
        try checked.check(handlesAddress, UInt64(handleCapacity) * 4)
        try checked.check(sizesAddress, 8)
        let message: ReceivedMessage
        do throws(IPCError) {
            message = try endpoint.receive(into: handles, byteCapacity: Int(bufferCapacity),
                                           handleCapacity: Int(handleCapacity), blocking: blocking)
        } catch {
            if case .bufferTooSmall(let byteCount, let handleCount) = error {
                try checked.store32(sizesAddress, UInt32(truncatingIfNeeded: byteCount))
                try checked.store32(sizesAddress &+ 4, UInt32(truncatingIfNeeded: handleCount))
            }
            throw error
        }
        // No wasm code of this program ran while it waited, so the checks above still hold.
        let guest = GuestBuffers(memory)
        try guest.write(bufferAddress, message.bytes)
        for (index, handle) in message.handles.enumerated() {
            try guest.store32(handlesAddress &+ UInt32(index) &* 4, handle.rawValue)
        }
        try guest.store32(sizesAddress, UInt32(message.bytes.count))
        try guest.store32(sizesAddress &+ 4, UInt32(message.handles.count))
    }

    func handleClose(_ values: [Value]) throws(IPCError) {
        try handles.remove(Handle(rawValue: argument(values, 0)))
    }

    private func endpoint(_ raw: UInt32) throws(IPCError) -> ChannelEndpoint {
        guard let endpoint = try handles.get(Handle(rawValue: raw)).channelEndpoint else { throw .badHandle }
        return endpoint
    }

    private func argument(_ values: [Value], _ index: Int) -> UInt32 {
        guard index < values.count, case .i32(let bits) = values[index] else { return 0 }
        return bits
    }
}

/// Bounds-checked access to the caller's memory during one host call (no wasm code of the
/// caller runs meanwhile, so the memory neither grows nor moves). Every range outside the
/// memory is `.fault`; values are little-endian and may be unaligned.
struct GuestBuffers {
    let base: UnsafeMutableRawPointer?
    let size: UInt64

    init(_ memory: Memory?) {
        base = memory?.baseAddress
        size = memory?.byteCount ?? 0
    }

    /// Whether `count` bytes at `address` lie inside the memory.
    func check(_ address: UInt32, _ count: UInt64) throws(IPCError) {
        let (end, overflow) = UInt64(address).addingReportingOverflow(count)
        guard !overflow, end <= size else { throw .fault }
    }

    private func pointer(_ address: UInt32, _ count: UInt64) throws(IPCError) -> UnsafeMutableRawPointer? {
        try check(address, count)
        return base.map { $0 + Int(address) }
    }

    func load32(_ address: UInt32) throws(IPCError) -> UInt32 {
        guard let pointer = try pointer(address, 4) else { throw .fault }
        return UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self))
    }

    func store32(_ address: UInt32, _ value: UInt32) throws(IPCError) {
        guard let pointer = try pointer(address, 4) else { throw .fault }
        pointer.storeBytes(of: value.littleEndian, as: UInt32.self)
    }

    func bytes(_ address: UInt32, _ count: UInt32) throws(IPCError) -> [UInt8] {
        guard let pointer = try pointer(address, UInt64(count)), count > 0 else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: Int(count)))
    }

    func write(_ address: UInt32, _ bytes: [UInt8]) throws(IPCError) {
        guard let pointer = try pointer(address, UInt64(bytes.count)) else { return }
        bytes.withUnsafeBytes { source in
            if let from = source.baseAddress { pointer.copyMemory(from: from, byteCount: source.count) }
        }
    }
}
