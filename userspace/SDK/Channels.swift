// Channels between processes (docs/IPC.md). Kernel only: the hosted process module runs a child
// inside its parent's `wait`, so nobody could answer a blocking receive there.

@_extern(wasm, module: "apus", name: "channel_create") @_extern(c)
func apus_channel_create(_ ends: UnsafeMutablePointer<Int32>?) -> UInt32
@_extern(wasm, module: "apus", name: "channel_send") @_extern(c)
func apus_channel_send(_ handle: Int32, _ bytes: UnsafePointer<UInt8>?, _ length: UInt32,
                       _ handles: UnsafePointer<Int32>?, _ handleCount: UInt32) -> UInt32
@_extern(wasm, module: "apus", name: "channel_recv") @_extern(c)
func apus_channel_recv(_ handle: Int32, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: UInt32,
                       _ handles: UnsafeMutablePointer<Int32>?, _ handleCapacity: UInt32,
                       _ sizes: UnsafeMutablePointer<UInt32>?) -> UInt32
@_extern(wasm, module: "apus", name: "handle_close") @_extern(c)
func apus_handle_close(_ handle: Int32) -> UInt32
@_extern(wasm, module: "apus", name: "spawn_with_handles") @_extern(c)
func apus_spawn_with_handles(_ name: UnsafePointer<UInt8>?, _ nameLength: UInt32, _ arguments: UnsafePointer<UInt8>?,
                             _ argumentsLength: UInt32, _ environment: UnsafePointer<UInt8>?, _ environmentLength: UInt32,
                             _ handles: UnsafePointer<Int32>?, _ handleCount: UInt32) -> Int32

/// One end of a channel: messages of bytes and handles, in order, to the other end.
struct Channel {
    /// The handle naming this end in the process's handle table.
    let handle: Int32

    /// The ends a process was started with (`Apus.spawn(…, handles:)`), in order.
    static func inherited(_ index: Int) -> Channel { Channel(handle: 4096 + Int32(index)) }

    /// A new channel: both ends belong to this process (pass one to another).
    static func create() -> Result<(Channel, Channel), Errno> {
        var ends: [Int32] = [0, 0]
        let errno = ends.withUnsafeMutableBufferPointer { apus_channel_create($0.baseAddress) }
        if let error = Errno.check(UInt16(truncatingIfNeeded: errno)) { return .failure(error) }
        return .success((Channel(handle: ends[0]), Channel(handle: ends[1])))
    }

    /// Queues `bytes` for the other end (never blocks: a full queue is `.again`); the
    /// `handles` move with the message and are no longer this process's.
    func send(_ bytes: [UInt8], handles: [Int32] = []) -> Errno? {
        let errno = bytes.withUnsafeBufferPointer { b in
            handles.withUnsafeBufferPointer { h in
                apus_channel_send(handle, b.baseAddress, UInt32(b.count), h.baseAddress, UInt32(h.count))
            }
        }
        return Errno.check(UInt16(truncatingIfNeeded: errno))
    }

    /// Waits for the next message (the process sleeps meanwhile). Errno 64 (pipe): the other
    /// end is closed and nothing is left.
    func receive(capacity: Int = 4096) -> Result<(bytes: [UInt8], handles: [Int32]), Errno> {
        var bytes = [UInt8](repeating: 0, count: capacity)
        var handles = [Int32](repeating: 0, count: 16)
        var sizes: [UInt32] = [0, 0]
        let errno = bytes.withUnsafeMutableBufferPointer { b in
            handles.withUnsafeMutableBufferPointer { h in
                sizes.withUnsafeMutableBufferPointer { s in
                    apus_channel_recv(handle, b.baseAddress, UInt32(b.count), h.baseAddress, UInt32(h.count), s.baseAddress)
                }
            }
        }
        if let error = Errno.check(UInt16(truncatingIfNeeded: errno)) { return .failure(error) }
        return .success((Array(bytes[0..<Int(sizes[0])]), Array(handles[0..<Int(sizes[1])])))
    }

    /// Closes this end: the other end's receives report `pipe` once the queue is empty.
    func close() { _ = apus_handle_close(handle) }
}

extension Apus {
    /// `spawn` that also gives the child channel ends: they leave this process and the child
    /// finds them as `Channel.inherited(0)`, `Channel.inherited(1)`, … Kernel only.
    static func spawn(_ name: String, arguments: [String], environment: [String]? = nil,
                      handing ends: [Channel]) -> Result<Int32, Errno> {
        let nameBytes = Array(name.utf8)
        let argumentBytes = nulSeparated(arguments.isEmpty ? [name] : arguments)
        let environmentBytes = nulSeparated(environment ?? [])
        let handles = ends.map { $0.handle }
        let pid = nameBytes.withUnsafeBufferPointer { n in
            argumentBytes.withUnsafeBufferPointer { a in
                environmentBytes.withUnsafeBufferPointer { e in
                    handles.withUnsafeBufferPointer { h in
                        apus_spawn_with_handles(n.baseAddress, UInt32(n.count), a.baseAddress, UInt32(a.count),
                                                e.baseAddress, UInt32(e.count), h.baseAddress, UInt32(h.count))
                    }
                }
            }
        }
        return pid >= 0 ? .success(pid) : .failure(Errno(UInt16(truncatingIfNeeded: -pid)))
    }
}
