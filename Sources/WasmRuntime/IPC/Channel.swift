/// Bounds of one channel. A sender gets `.wouldBlock` when `queuedMessages` messages wait in
/// its direction; a message carries at most `messageBytes` bytes and `messageHandles` handles.
public struct ChannelLimits: Equatable, Sendable {
    public var queuedMessages: Int
    public var messageBytes: Int
    public var messageHandles: Int

    public init(queuedMessages: Int = 64, messageBytes: Int = 65536, messageHandles: Int = 16) {
        self.queuedMessages = max(queuedMessages, 1)
        self.messageBytes = max(messageBytes, 0)
        self.messageHandles = max(messageHandles, 0)
    }
}

/// A message as received: its bytes and the handles its objects now have in the receiver's table.
public struct ReceivedMessage {
    public var bytes: [UInt8]
    public var handles: [Handle]
}

/// A message in flight: the objects were moved out of the sender's table and belong to the
/// message until a receiver's table takes them (or the message is dropped, which closes them).
struct ChannelMessage {
    var bytes: [UInt8]
    var objects: [KernelObject]
}

/// Messages waiting for one endpoint, oldest first: a ring that grows on demand (up to the
/// channel's limit) and forgets each message as it leaves.
struct MessageQueue {
    private var ring: [ChannelMessage?] = []
    private var head = 0
    private(set) var count = 0

    var first: ChannelMessage? { count > 0 ? ring[head] : nil }

    mutating func append(_ message: ChannelMessage) {
        if count == ring.count { grow() }
        ring[(head + count) % ring.count] = message
        count += 1
    }

    mutating func removeFirst() -> ChannelMessage? {
        guard count > 0 else { return nil }
        let message = ring[head]
        ring[head] = nil
        head = (head + 1) % ring.count
        count -= 1
        return message
    }

    /// Empties the queue, returning the messages so the caller can drop them outside its lock.
    mutating func removeAll() -> [ChannelMessage?] {
        let messages = ring
        ring = []
        head = 0
        count = 0
        return messages
    }

    private mutating func grow() {
        var larger = [ChannelMessage?](repeating: nil, count: max(4, ring.count * 2))
        for offset in 0..<count { larger[offset] = ring[(head + offset) % ring.count] }
        ring = larger
        head = 0
    }
}

/// What both endpoints of a channel share. Every field is guarded by `monitor`.
final class ChannelState {
    let monitor: any IPCMonitor
    let limits: ChannelLimits
    /// `queues[side]`: messages waiting for endpoint `side`.
    var queues = [MessageQueue(), MessageQueue()]
    var closed = [false, false]
    /// `restarted[side]`: the program holding the other end was restarted after a trap
    /// (`handOverAfterRestart`); `side`'s next receive that finds nothing queued reports it
    /// once, its next send forgets it (a client that sends first was not waiting for a reply).
    var restarted = [false, false]
    /// Threads blocked in `monitor.wait()` (so that `wakeAll` is skipped when nobody waits).
    var waiters = 0

    init(monitor: any IPCMonitor, limits: ChannelLimits) {
        self.monitor = monitor
        self.limits = limits
    }

    /// Waits for a change; the monitor is held. False if the platform interrupted the wait.
    func waitForChange() -> Bool {
        waiters += 1
        let woken = monitor.wait()
        waiters -= 1
        return woken
    }

    /// Wakes waiters after a change; the monitor is held.
    func announceChange() {
        if waiters > 0 { monitor.wakeAll() }
    }
}

/// One end of a channel: a bidirectional, ordered, bounded message pipe between two endpoints.
/// An endpoint is owned by exactly one place at a time (a handle table or a message in
/// flight); closing it, or dropping it, drops the messages queued for it and wakes whoever
/// waits on the peer, whose receives then fail with `.peerClosed` once its queue is empty.
///
/// Locking: one monitor per channel. Messages (which may hold endpoints of other channels) are
/// only dropped after the monitor is released, so no thread ever holds two channels' locks.
public final class ChannelEndpoint {
    let state: ChannelState
    /// 0 or 1; the peer is `1 - side`.
    let side: Int

    private init(state: ChannelState, side: Int) {
        self.state = state
        self.side = side
    }

    deinit { close() }

    /// A new channel's two endpoints.
    public static func makePair(scheduler: any IPCScheduler, limits: ChannelLimits = ChannelLimits())
        -> (ChannelEndpoint, ChannelEndpoint)
    {
        let state = ChannelState(monitor: scheduler.makeMonitor(), limits: limits)
        return (ChannelEndpoint(state: state, side: 0), ChannelEndpoint(state: state, side: 1))
    }

    private var peer: Int { 1 - side }

    /// Whether `other` is an endpoint of the same channel (either end).
    public func sharesChannel(with other: ChannelEndpoint) -> Bool { other.state === state }

    /// Closes this end (idempotent): messages queued for it are dropped (closing the objects
    /// they carry) and the peer's waiters wake up.
    public func close() {
        let monitor = state.monitor
        monitor.lock()
        if state.closed[side] {
            monitor.unlock()
            return
        }
        state.closed[side] = true
        let dropped = state.queues[side].removeAll()
        state.announceChange()
        monitor.unlock()
        for message in dropped {
            for object in message?.objects ?? [] { object.close() }
        }
    }

    /// This end passes to a restarted instance of the program that held it (the kernel's
    /// supervisor, after a trap): the messages queued for it — requests the trapped instance
    /// never answered — are dropped, and the peer's next receive fails with `.peerRestarted`
    /// (waking it if it waits), so a client never waits for an answer that cannot come.
    public func handOverAfterRestart() {
        let monitor = state.monitor
        monitor.lock()
        let dropped = state.queues[side].removeAll()
        state.restarted[peer] = true
        state.announceChange()
        monitor.unlock()
        for message in dropped {
            for object in message?.objects ?? [] { object.close() }
        }
    }

    /// Whether this end is still open (not closed by its holder).
    public var isOpen: Bool {
        state.monitor.lock()
        defer { state.monitor.unlock() }
        return !state.closed[side]
    }

    /// Number of messages waiting for this endpoint.
    public var queuedCount: Int {
        state.monitor.lock()
        defer { state.monitor.unlock() }
        return state.queues[side].count
    }

    /// Sends `bytes` and moves the objects of `handles` out of `table` into the message. On any
    /// error nothing is sent and `table` is unchanged. A full queue is `.wouldBlock` unless
    /// `blocking`, which waits for room (or for the peer to close).
    public func send(bytes: [UInt8], handles: [Handle] = [], from table: HandleTable, blocking: Bool = false)
        throws(IPCError)
    {
        let limits = state.limits
        guard bytes.count <= limits.messageBytes, handles.count <= limits.messageHandles else {
            throw .messageTooLarge
        }
        try checkTransferable(handles, in: table)
        let monitor = state.monitor
        monitor.lock()
        var waited = false
        while true {
            if state.closed[side] {
                monitor.unlock()
                throw .badHandle
            }
            if state.closed[peer] {
                monitor.unlock()
                throw .peerClosed
            }
            state.restarted[side] = false
            if state.queues[peer].count < limits.queuedMessages { break }
            if !blocking {
                monitor.unlock()
                throw .wouldBlock
            }
            guard state.waitForChange() else {
                monitor.unlock()
                throw .interrupted
            }
            waited = true
        }
        if waited {
            // The table may have changed while we slept (another thread of the program).
            do throws(IPCError) {
                try checkTransferable(handles, in: table)
            } catch {
                monitor.unlock()
                throw error
            }
        }
        var objects: [KernelObject] = []
        objects.reserveCapacity(handles.count)
        for handle in handles {
            // Checked just above with the same table, so every take succeeds.
            if let object = try? table.take(handle) { objects.append(object) }
        }
        state.queues[peer].append(ChannelMessage(bytes: bytes, objects: objects))
        state.announceChange()
        monitor.unlock()
    }

    /// Receives the oldest message: its bytes, and its objects inserted into `table`.
    /// Blocks while the queue is empty and the peer open, unless `blocking` is false
    /// (`.wouldBlock`). The message stays queued when it does not fit the capacities
    /// (`.bufferTooSmall` with its sizes) or `table` lacks room for its handles
    /// (`.tooManyHandles`). `.peerClosed` once the peer is closed and nothing is queued.
    public func receive(into table: HandleTable, byteCapacity: Int = Int.max, handleCapacity: Int = Int.max,
                        blocking: Bool = true) throws(IPCError) -> ReceivedMessage
    {
        let monitor = state.monitor
        monitor.lock()
        while state.queues[side].count == 0 {
            if state.closed[side] {
                monitor.unlock()
                throw .badHandle
            }
            if state.restarted[side] {
                state.restarted[side] = false
                monitor.unlock()
                throw .peerRestarted
            }
            if state.closed[peer] {
                monitor.unlock()
                throw .peerClosed
            }
            if !blocking {
                monitor.unlock()
                throw .wouldBlock
            }
            guard state.waitForChange() else {
                monitor.unlock()
                throw .interrupted
            }
        }
        guard let next = state.queues[side].first else {
            monitor.unlock()
            throw .wouldBlock
        }
        if next.bytes.count > byteCapacity || next.objects.count > handleCapacity {
            monitor.unlock()
            throw .bufferTooSmall(byteCount: next.bytes.count, handleCount: next.objects.count)
        }
        if next.objects.count > table.freeCount {
            monitor.unlock()
            throw .tooManyHandles
        }
        let message = state.queues[side].removeFirst()
        state.announceChange()
        monitor.unlock()

        guard let message else { throw .wouldBlock }
        var handles: [Handle] = []
        handles.reserveCapacity(message.objects.count)
        for object in message.objects {
            // Room was checked above; only a concurrent user of the same table could take it.
            do throws(IPCError) {
                handles.append(try table.insert(object))
            } catch {
                object.close()
            }
        }
        return ReceivedMessage(bytes: message.bytes, handles: handles)
    }

    /// Every handle names an object, none twice, no endpoint of this channel (a channel
    /// carrying its own end could never be closed), and no object that must stay with its
    /// program (a device).
    private func checkTransferable(_ handles: [Handle], in table: HandleTable) throws(IPCError) {
        for (position, handle) in handles.enumerated() {
            let object = try table.get(handle)
            if handles[..<position].contains(handle) { throw .invalidArgument }
            if let endpoint = object.channelEndpoint, endpoint.state === state { throw .invalidArgument }
            if !object.isTransferable { throw .invalidArgument }
        }
    }
}
