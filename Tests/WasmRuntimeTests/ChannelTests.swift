import Foundation
import HostedPlatform
import Testing
import WAT
import WasmFrontEnd
@testable import WasmRuntime

/// Handle tables, channels (bytes and handles, bounded queues, closing) and the `apus`
/// channel host functions called from real wasm modules, including across two threads.
@Suite struct ChannelTests {
    let scheduler = HostedIPCScheduler.shared

    func pair(_ limits: ChannelLimits = ChannelLimits()) -> (ChannelEndpoint, ChannelEndpoint) {
        ChannelEndpoint.makePair(scheduler: scheduler, limits: limits)
    }

    /// A table holding one end of a fresh channel, and the other end.
    func endpointIn(_ table: HandleTable) throws -> (Handle, ChannelEndpoint) {
        let (mine, other) = pair()
        return (try table.insert(.channelEndpoint(mine)), other)
    }

    // MARK: Handle tables

    @Test func staleHandlesAreRefusedNotAliased() throws {
        let table = HandleTable()
        let (first, _) = try endpointIn(table)
        try table.remove(first)
        #expect(throws: IPCError.badHandle) { try table.get(first) }
        #expect(throws: IPCError.badHandle) { try table.remove(first) }
        let (second, _) = try endpointIn(table)
        // Same slot, new generation: the old handle still names nothing.
        #expect(second.rawValue & 0xFFF == first.rawValue & 0xFFF)
        #expect(second != first)
        #expect(throws: IPCError.badHandle) { try table.get(first) }
        #expect(try table.get(second).channelEndpoint != nil)
        #expect(throws: IPCError.badHandle) { try table.get(Handle(rawValue: 0)) }
        #expect(throws: IPCError.badHandle) { try table.get(Handle(rawValue: 0xFFFF_FFFF)) }
        // Handles are positive i32 values.
        #expect(Int32(bitPattern: second.rawValue) > 0)
    }

    @Test func slotsAreRetiredBeforeTheirGenerationWraps() throws {
        let table = HandleTable(limit: 1)
        var last = Handle(rawValue: 0)
        var object = KernelObject.channelEndpoint(pair().0)
        for _ in 1..<HandleTable.generationLimit {
            last = try table.insert(object)
            object = try table.take(last)
        }
        // The only slot used every generation: it is retired rather than reused.
        #expect(throws: IPCError.tooManyHandles) { try table.insert(.channelEndpoint(pair().0)) }
        #expect(throws: IPCError.badHandle) { try table.get(last) }
    }

    @Test func tableLimit() throws {
        let table = HandleTable(limit: 3)
        var handles: [Handle] = []
        for _ in 0..<3 { handles.append(try endpointIn(table).0) }
        #expect(table.count == 3 && table.freeCount == 0)
        #expect(throws: IPCError.tooManyHandles) { try endpointIn(table) }
        try table.remove(handles[1])
        #expect(table.freeCount == 1)
        _ = try endpointIn(table)
        #expect(HandleTable().limit == 1024)
    }

    @Test func closingAHandleClosesTheEndpoint() throws {
        let table = HandleTable()
        let (handle, peer) = try endpointIn(table)
        try table.remove(handle)
        #expect(throws: IPCError.peerClosed) { try peer.receive(into: HandleTable(), blocking: false) }
        #expect(throws: IPCError.peerClosed) { try peer.send(bytes: [1], from: HandleTable()) }
    }

    // MARK: Channels

    @Test func bytesAndHandlesMoveBetweenTables() throws {
        let sender = HandleTable()
        let receiver = HandleTable()
        let (a, b) = pair()
        let aHandle = try sender.insert(.channelEndpoint(a))
        let bHandle = try receiver.insert(.channelEndpoint(b))
        let (carried, carriedPeer) = try endpointIn(sender)

        try a.send(bytes: [1, 2, 3], handles: [carried], from: sender)
        #expect(throws: IPCError.badHandle) { try sender.get(carried) }
        #expect(sender.count == 1)

        let endpoint = try #require(try receiver.get(bHandle).channelEndpoint)
        let message = try endpoint.receive(into: receiver, blocking: false)
        #expect(message.bytes == [1, 2, 3])
        #expect(message.handles.count == 1)
        let received = try #require(try receiver.get(message.handles[0]).channelEndpoint)
        #expect(received.sharesChannel(with: carriedPeer))

        // The transferred endpoint works from its new table.
        try received.send(bytes: [9], from: receiver)
        #expect(try carriedPeer.receive(into: HandleTable(), blocking: false).bytes == [9])
        _ = aHandle
    }

    @Test func refusedSendsLeaveTheTableUnchanged() throws {
        let table = HandleTable()
        let (a, _) = pair(ChannelLimits(messageBytes: 4, messageHandles: 2))
        let aHandle = try table.insert(.channelEndpoint(a))
        let (other, _) = try endpointIn(table)
        #expect(throws: IPCError.messageTooLarge) { try a.send(bytes: [1, 2, 3, 4, 5], from: table) }
        #expect(throws: IPCError.messageTooLarge) {
            try a.send(bytes: [], handles: [other, other, other], from: table)
        }
        #expect(throws: IPCError.invalidArgument) { try a.send(bytes: [], handles: [other, other], from: table) }
        #expect(throws: IPCError.invalidArgument) { try a.send(bytes: [], handles: [aHandle], from: table) }
        #expect(throws: IPCError.badHandle) {
            try a.send(bytes: [], handles: [other, Handle(rawValue: 12345)], from: table)
        }
        #expect(table.count == 2)
        #expect(try table.get(other).channelEndpoint != nil)
    }

    @Test func fullQueueWouldBlock() throws {
        let table = HandleTable()
        let (a, b) = pair(ChannelLimits(queuedMessages: 2))
        try a.send(bytes: [1], from: table)
        try a.send(bytes: [2], from: table)
        #expect(throws: IPCError.wouldBlock) { try a.send(bytes: [3], from: table) }
        // The other direction has its own queue.
        try b.send(bytes: [4], from: table)
        #expect(try b.receive(into: table, blocking: false).bytes == [1])
        try a.send(bytes: [3], from: table)
        #expect(try b.receive(into: table).bytes == [2])
        #expect(try b.receive(into: table).bytes == [3])
        #expect(throws: IPCError.wouldBlock) { try b.receive(into: table, blocking: false) }
    }

    @Test func blockingSendWaitsForRoom() throws {
        let table = HandleTable()
        let (a, b) = pair(ChannelLimits(queuedMessages: 1))
        try a.send(bytes: [1], from: table)
        let reader = JoinableThread {
            usleep(20_000)
            _ = try? b.receive(into: HandleTable())
        }
        try a.send(bytes: [2], from: table, blocking: true)
        reader.join()
        #expect(try b.receive(into: table, blocking: false).bytes == [2])
    }

    @Test func peerClosedAfterQueuedMessages() throws {
        let table = HandleTable()
        let (a, b) = pair()
        try b.send(bytes: [7], from: table)
        b.close()
        #expect(throws: IPCError.peerClosed) { try a.send(bytes: [1], from: table) }
        #expect(try a.receive(into: table, blocking: false).bytes == [7])
        #expect(throws: IPCError.peerClosed) { try a.receive(into: table) }
        // A closed endpoint itself refuses.
        #expect(throws: IPCError.badHandle) { try b.receive(into: table, blocking: false) }
    }

    @Test func handOverAfterRestartFailsTheRequestInFlightOnce() throws {
        let table = HandleTable()
        let (client, server) = pair()
        // A request the old instance took, one it never read, and a reply it sent before.
        try client.send(bytes: [1], from: table)
        try client.send(bytes: [2], from: table)
        _ = try server.receive(into: table, blocking: false)
        try server.send(bytes: [9], from: table)
        server.handOverAfterRestart()
        #expect(server.queuedCount == 0)  // the unread request is dropped
        #expect(server.isOpen)
        // The reply sent before still arrives, then the reset, once; then an ordinary wait.
        #expect(try client.receive(into: table, blocking: false).bytes == [9])
        #expect(throws: IPCError.peerRestarted) { try client.receive(into: table) }
        #expect(throws: IPCError.wouldBlock) { try client.receive(into: table, blocking: false) }
        #expect(IPCError.peerRestarted.errno == 15)
        // A client that sends first was not waiting: the reset is forgotten.
        server.handOverAfterRestart()
        try client.send(bytes: [3], from: table)
        #expect(try server.receive(into: table, blocking: false).bytes == [3])
        try server.send(bytes: [4], from: table)
        #expect(try client.receive(into: table, blocking: false).bytes == [4])
    }

    @Test func handOverWakesABlockedClient() throws {
        let (client, server) = pair()
        let result = Box<IPCError?>(nil)
        let reader = JoinableThread {
            do throws(IPCError) { _ = try client.receive(into: HandleTable()) } catch { result.value = error }
        }
        usleep(20_000)
        server.handOverAfterRestart()
        reader.join()
        #expect(result.value == .peerRestarted)
    }

    @Test func startingOverGivesAFreshTablesHandles() throws {
        let table = HandleTable()
        let (first, _) = try endpointIn(table)
        _ = try endpointIn(table)
        try table.remove(first)
        let (kept, _) = pair()
        _ = try table.insert(.channelEndpoint(kept))
        let taken = table.takeObjects { $0.channelEndpoint === kept }
        #expect(taken.count == 1 && table.count == 1)
        table.closeAllAndStartOver()
        #expect(table.count == 0)
        let fresh = HandleTable()
        let (other, _) = pair()
        #expect(try table.insert(taken[0]) == (try fresh.insert(.channelEndpoint(other))))
        #expect(kept.isOpen)
    }

    @Test func closingWakesABlockedReceiver() throws {
        let (a, b) = pair()
        let result = Box<IPCError?>(nil)
        let reader = JoinableThread {
            do throws(IPCError) { _ = try a.receive(into: HandleTable()) } catch { result.value = error }
        }
        usleep(20_000)
        b.close()
        reader.join()
        #expect(result.value == .peerClosed)
    }

    @Test func droppedMessagesCloseTheEndpointsTheyCarry() throws {
        let table = HandleTable()
        let (a, b) = pair()
        let (carried, carriedPeer) = try endpointIn(table)
        try a.send(bytes: [], handles: [carried], from: table)
        b.close()  // the message for b is dropped with the endpoint in it
        #expect(throws: IPCError.peerClosed) { try carriedPeer.receive(into: table, blocking: false) }
    }

    @Test func receiveKeepsMessagesThatDoNotFit() throws {
        let sender = HandleTable()
        let (a, b) = pair()
        let (carried, _) = try endpointIn(sender)
        try a.send(bytes: [1, 2, 3, 4], handles: [carried], from: sender)
        let receiver = HandleTable(limit: 1)
        #expect(throws: IPCError.bufferTooSmall(byteCount: 4, handleCount: 1)) {
            try b.receive(into: receiver, byteCapacity: 3)
        }
        #expect(throws: IPCError.bufferTooSmall(byteCount: 4, handleCount: 1)) {
            try b.receive(into: receiver, handleCapacity: 0)
        }
        let (full, _) = try endpointIn(receiver)
        #expect(throws: IPCError.tooManyHandles) { try b.receive(into: receiver, blocking: false) }
        try receiver.remove(full)
        let message = try b.receive(into: receiver, byteCapacity: 4, handleCapacity: 1, blocking: false)
        #expect(message.bytes == [1, 2, 3, 4] && message.handles.count == 1)
    }

    /// A single-threaded scheduler whose waits are always interrupted (as when the kernel kills
    /// a blocked task).
    final class InterruptingScheduler: IPCScheduler, IPCMonitor {
        var waits = 0
        func makeMonitor() -> any IPCMonitor { self }
        func lock() {}
        func unlock() {}
        func wait() -> Bool {
            waits += 1
            return false
        }
        func wakeAll() {}
    }

    @Test func interruptedWaitsFailCleanly() throws {
        let scheduler = InterruptingScheduler()
        let table = HandleTable()
        let (a, b) = ChannelEndpoint.makePair(scheduler: scheduler, limits: ChannelLimits(queuedMessages: 1))
        #expect(throws: IPCError.interrupted) { try b.receive(into: table) }
        let (carried, _) = try endpointIn(table)
        try a.send(bytes: [1], from: table)
        #expect(throws: IPCError.interrupted) {
            try a.send(bytes: [2], handles: [carried], from: table, blocking: true)
        }
        #expect(scheduler.waits == 2)
        #expect(try table.get(carried).channelEndpoint != nil)  // still the sender's
        #expect(try b.receive(into: table).bytes == [1])
        #expect(IPCError.interrupted.errno == 27)
    }

    @Test func twoThreadPingPong() throws {
        let (a, b) = pair()
        let rounds = 2000
        let echo = JoinableThread {
            let table = HandleTable()
            while let message = try? b.receive(into: table) {
                try? b.send(bytes: message.bytes.map { $0 &+ 1 }, from: table, blocking: true)
            }
        }
        let table = HandleTable()
        for round in 0..<rounds {
            let value = UInt8(truncatingIfNeeded: round)
            try a.send(bytes: [value, 0], from: table, blocking: true)
            #expect(try a.receive(into: table).bytes == [value &+ 1, 1])
        }
        a.close()
        echo.join()
    }

    // MARK: Host functions from wasm

    static let program = """
        (module
          (import "apus" "channel_create" (func $create (param i32) (result i32)))
          (import "apus" "channel_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
          (import "apus" "channel_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
          (import "apus" "channel_try_recv" (func $tryRecv (param i32 i32 i32 i32 i32 i32) (result i32)))
          (import "apus" "handle_close" (func $close (param i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "create") (param i32) (result i32) (call $create (local.get 0)))
          (func (export "send") (param i32 i32 i32 i32 i32) (result i32)
            (call $send (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
          (func (export "recv") (param i32 i32 i32 i32 i32 i32) (result i32)
            (call $recv (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
          (func (export "try_recv") (param i32 i32 i32 i32 i32 i32) (result i32)
            (call $tryRecv (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
          (func (export "close") (param i32) (result i32) (call $close (local.get 0)))
          ;; n round trips: send the counter (4 bytes at 0), expect counter + 1 back (at 64).
          (func (export "ping") (param $h i32) (param $n i32) (result i32) (local $e i32) (local $i i32)
            (block $done (loop $next
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              (i32.store (i32.const 0) (local.get $i))
              (local.set $e (call $send (local.get $h) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0)))
              (if (local.get $e) (then (return (local.get $e))))
              (local.set $e (call $recv (local.get $h) (i32.const 64) (i32.const 64) (i32.const 0) (i32.const 0)
                                        (i32.const 128)))
              (if (local.get $e) (then (return (local.get $e))))
              (if (i32.ne (i32.load (i32.const 64)) (i32.add (local.get $i) (i32.const 1)))
                (then (return (i32.const 1000))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
            (i32.const 0))
          ;; Echoes counter + 1 until the peer closes; returns the errno that ended it.
          (func (export "pong") (param $h i32) (result i32) (local $e i32)
            (loop $next
              (local.set $e (call $recv (local.get $h) (i32.const 64) (i32.const 64) (i32.const 0) (i32.const 0)
                                        (i32.const 128)))
              (if (local.get $e) (then (return (local.get $e))))
              (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))
              (local.set $e (call $send (local.get $h) (i32.const 64) (i32.load (i32.const 128)) (i32.const 0)
                                        (i32.const 0)))
              (if (local.get $e) (then (return (local.get $e))))
              (br $next))
            (i32.const 0)))
        """

    /// One program: its own store, IPC context and instance of `program`.
    final class Program: @unchecked Sendable {
        let store: Store
        let context: IPCContext
        let instance: Instance

        init(_ text: String = ChannelTests.program,
             context: IPCContext = IPCContext(scheduler: HostedIPCScheduler.shared)) throws {
            let engine = Engine(platform: HostedPlatform.shared)
            store = Store(engine: engine)
            self.context = context
            let linker = Linker()
            context.define(in: linker, store: store)
            instance = try linker.instantiate(store, WasmModule(engine: engine, bytes: wat2wasm(text)))
            context.bind(instance)
        }

        var memory: Memory { instance.memory("memory")! }

        func call(_ name: String, _ arguments: UInt32...) throws -> UInt32 {
            let results = try instance.function(name)!.call(arguments.map { .i32($0) })
            guard case .i32(let value)? = results.first else { return UInt32.max }
            return value
        }

        func load32(_ offset: UInt64) -> UInt32 {
            let bytes = memory.read(offset: offset, count: 4) ?? [0, 0, 0, 0]
            return UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        }

        func store32(_ offset: UInt64, _ value: UInt32) {
            memory.write(offset: offset, bytes: [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) })
        }
    }

    /// Two programs connected by a channel: the handle of each end in its program's table.
    func connected(limits: ChannelLimits = ChannelLimits()) throws -> (Program, UInt32, Program, UInt32) {
        let left = try Program()
        let right = try Program()
        let (a, b) = pair(limits)
        let aHandle = try left.context.handles.insert(.channelEndpoint(a))
        let bHandle = try right.context.handles.insert(.channelEndpoint(b))
        return (left, aHandle.rawValue, right, bHandle.rawValue)
    }

    @Test func createWritesTwoHandles() throws {
        let program = try Program()
        #expect(try program.call("create", 100) == IPCErrno.success)
        let first = program.load32(100)
        let second = program.load32(104)
        let table = program.context.handles
        let a = try #require(try table.get(Handle(rawValue: first)).channelEndpoint)
        let b = try #require(try table.get(Handle(rawValue: second)).channelEndpoint)
        #expect(a.sharesChannel(with: b) && a !== b)
        // Bytes sent on one end arrive at the other, all inside wasm memory.
        program.memory.write(offset: 200, bytes: [5, 6, 7])
        #expect(try program.call("send", first, 200, 3, 0, 0) == IPCErrno.success)
        #expect(try program.call("try_recv", second, 300, 16, 0, 0, 400) == IPCErrno.success)
        #expect(program.memory.read(offset: 300, count: 3) == [5, 6, 7])
        #expect(program.load32(400) == 3 && program.load32(404) == 0)
        #expect(try program.call("close", first) == IPCErrno.success)
        #expect(try program.call("close", first) == IPCErrno.badf)
        #expect(try program.call("try_recv", second, 300, 16, 0, 0, 400) == IPCErrno.pipe)
    }

    @Test func badPointersAreFaults() throws {
        let (left, a, right, b) = try connected()
        let end: UInt32 = 65536
        #expect(try left.call("create", end - 4) == IPCErrno.fault)
        #expect(try left.call("create", 0xFFFF_FFFC) == IPCErrno.fault)
        #expect(left.context.handles.count == 1)  // nothing created
        #expect(try left.call("send", a, end - 2, 4, 0, 0) == IPCErrno.fault)
        #expect(try left.call("send", a, 0xFFFF_FFFF, 1, 0, 0) == IPCErrno.fault)
        #expect(try left.call("send", a, 0, 4, end - 4, 2) == IPCErrno.fault)
        #expect(right.context.handles.count == 1)
        #expect(try right.call("try_recv", b, 0, 16, 0, 0, 0) == IPCErrno.again)  // nothing was sent
        #expect(try left.call("send", a, 0, 4, 0, 0) == IPCErrno.success)
        #expect(try right.call("try_recv", b, end - 2, 4, 0, 0, 0) == IPCErrno.fault)
        #expect(try right.call("try_recv", b, 0, 4, end, 1, 0) == IPCErrno.fault)
        #expect(try right.call("try_recv", b, 0, 4, 0, 0, end - 7) == IPCErrno.fault)
        #expect(try right.call("recv", b, 0, 0xFFFF_FFFF, 0, 0, 0) == IPCErrno.fault)
        // The message survived every refused receive.
        #expect(try right.call("try_recv", b, 0, 4, 0, 0, 8) == IPCErrno.success)
        #expect(right.load32(8) == 4)
    }

    @Test func noMemoryMeansFaults() throws {
        let program = try Program("""
            (module
              (import "apus" "channel_create" (func $create (param i32) (result i32)))
              (func (export "create") (param i32) (result i32) (call $create (local.get 0))))
            """)
        #expect(try program.call("create", 0) == IPCErrno.fault)
    }

    @Test func hostFunctionErrors() throws {
        let (left, a, right, b) = try connected(limits: ChannelLimits(queuedMessages: 1, messageBytes: 8, messageHandles: 1))
        #expect(try left.call("send", 0x1234, 0, 1, 0, 0) == IPCErrno.badf)
        #expect(try left.call("close", 0) == IPCErrno.badf)
        #expect(try left.call("send", a, 0, 9, 0, 0) == IPCErrno.msgsize)
        #expect(try left.call("send", a, 0, 1, 0, 2) == IPCErrno.msgsize)
        left.store32(0, a)
        #expect(try left.call("send", a, 0, 1, 0, 1) == IPCErrno.inval)  // its own end
        #expect(try left.call("send", a, 0, 8, 0, 0) == IPCErrno.success)
        #expect(try left.call("send", a, 0, 8, 0, 0) == IPCErrno.again)
        // Too small: EMSGSIZE, the needed sizes reported, the message kept.
        #expect(try right.call("try_recv", b, 100, 4, 0, 0, 200) == IPCErrno.msgsize)
        #expect(right.load32(200) == 8 && right.load32(204) == 0)
        #expect(try right.call("recv", b, 100, 8, 0, 0, 200) == IPCErrno.success)
        #expect(try right.call("try_recv", b, 100, 8, 0, 0, 200) == IPCErrno.again)
        #expect(try left.call("close", a) == IPCErrno.success)
        #expect(try right.call("recv", b, 100, 8, 0, 0, 200) == IPCErrno.pipe)
        #expect(try right.call("send", b, 100, 8, 0, 0) == IPCErrno.pipe)
    }

    @Test func endpointTransferThroughWasm() throws {
        let (left, a, right, b) = try connected()
        // Left creates a new channel and sends one end to right.
        #expect(try left.call("create", 16) == IPCErrno.success)
        let keep = left.load32(16)
        let give = left.load32(20)
        left.memory.write(offset: 32, bytes: Array("hi".utf8))
        #expect(try left.call("send", a, 32, 2, 20, 1) == IPCErrno.success)
        #expect(try left.call("close", give) == IPCErrno.badf)  // moved, no longer left's
        #expect(try right.call("recv", b, 0, 16, 32, 4, 48) == IPCErrno.success)
        #expect(right.memory.read(offset: 0, count: 2) == Array("hi".utf8))
        #expect(right.load32(48) == 2 && right.load32(52) == 1)
        let received = right.load32(32)
        // Right talks back over the received end.
        right.memory.write(offset: 64, bytes: [42])
        #expect(try right.call("send", received, 64, 1, 0, 0) == IPCErrno.success)
        #expect(try left.call("try_recv", keep, 100, 1, 0, 0, 104) == IPCErrno.success)
        #expect(left.memory.read(offset: 100, count: 1) == [42])
    }

    @Test func fullReceiverTableKeepsTheMessage() throws {
        let left = try Program()
        let right = try Program(context: IPCContext(scheduler: HostedIPCScheduler.shared,
                                                    handles: HandleTable(limit: 1)))
        let (a, b) = pair()
        let aHandle = try left.context.handles.insert(.channelEndpoint(a)).rawValue
        let bHandle = try right.context.handles.insert(.channelEndpoint(b)).rawValue
        #expect(try left.call("create", 16) == IPCErrno.success)
        #expect(try left.call("send", aHandle, 0, 0, 20, 1) == IPCErrno.success)
        #expect(try right.call("try_recv", bHandle, 0, 0, 0, 4, 8) == IPCErrno.mfile)
        #expect(try right.call("close", bHandle) == IPCErrno.success)
    }

    @Test func wasmPingPongAcrossThreads() throws {
        let (left, a, right, b) = try connected()
        let pongResult = Box<UInt32>(0)
        let pong = JoinableThread { pongResult.value = (try? right.call("pong", b)) ?? 1 }
        #expect(try left.call("ping", a, 500) == IPCErrno.success)
        #expect(try left.call("close", a) == IPCErrno.success)
        pong.join()
        #expect(pongResult.value == IPCErrno.pipe)
    }
}

/// A mutable value shared with another thread (joined before it is read).
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A thread running `body`; `join` waits for it to finish.
final class JoinableThread: @unchecked Sendable {
    private let body: () -> Void
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping () -> Void) {
        self.body = body
        let thread = Thread { [self] in
            self.body()
            self.finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func join() { finished.wait() }
}
