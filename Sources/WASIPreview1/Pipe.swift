import WasmRuntime

/// A pipe: bytes written to its write end are read from its read end, in order (`apus.pipe`,
/// the shell's `a | b`). Each end is a `WASIFile` that programs hold as descriptors; an end is
/// closed when its last reference goes (every descriptor naming it closed, every program that
/// had it as a standard stream ended). Once the write end is closed, reads return what is left,
/// then end of file; once the read end is closed, writes fail with `brokenPipe`.
///
/// With a monitor (the kernel, where programs run at the same time) a reader waits for bytes
/// and a writer for room: at most `capacity` bytes are buffered. Without one (hosted, where a
/// child runs inside its parent's `wait`, one program at a time) nothing can wait: the buffer
/// grows as needed and an empty pipe reads as end of file.
public enum WASIPipe {
    public static let defaultCapacity = 64 << 10

    /// A new pipe's two ends.
    public static func makeEnds(monitor: (any IPCMonitor)?, capacity: Int = defaultCapacity)
        -> (reader: any WASIFile, writer: any WASIFile) {
        let buffer = PipeBuffer(monitor: monitor, capacity: capacity)
        return (PipeReadEnd(buffer), PipeWriteEnd(buffer))
    }
}

/// The bytes in flight and which ends are open. With a monitor, every field is read and written
/// with its lock held.
final class PipeBuffer {
    let monitor: (any IPCMonitor)?
    let capacity: Int
    private var bytes: [UInt8] = []
    /// Index of the first unread byte in `bytes` (consumed bytes are dropped in batches).
    private var head = 0
    var readerOpen = true
    var writerOpen = true

    init(monitor: (any IPCMonitor)?, capacity: Int) {
        self.monitor = monitor
        self.capacity = capacity
    }

    var buffered: Int { bytes.count - head }

    func withLock<T>(_ body: () -> T) -> T {
        monitor?.lock()
        defer { monitor?.unlock() }
        return body()
    }

    /// Waits (lock held) until `ready` holds; false if the wait was interrupted (or there is
    /// no monitor to wait with).
    func wait(until ready: () -> Bool) -> Bool {
        while !ready() {
            guard let monitor, monitor.wait() else { return false }
        }
        return true
    }

    /// Removes and returns up to `limit` bytes (lock held).
    func take(_ limit: Int) -> [UInt8] {
        let count = min(limit, buffered)
        let taken = Array(bytes[head..<(head + count)])
        head += count
        if head == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096 && head * 2 >= bytes.count {
            bytes.removeFirst(head)
            head = 0
        }
        if count > 0 { monitor?.wakeAll() }
        return taken
    }

    /// Appends up to `limit` bytes of `source` from `start` (lock held); how many.
    func put(_ source: [UInt8], from start: Int, limit: Int) -> Int {
        let count = min(source.count - start, limit)
        bytes.append(contentsOf: source[start..<(start + count)])
        if count > 0 { monitor?.wakeAll() }
        return count
    }

    func close(reader: Bool) {
        withLock {
            if reader { readerOpen = false } else { writerOpen = false }
            monitor?.wakeAll()
        }
    }
}

final class PipeReadEnd: WASIFile {
    let buffer: PipeBuffer

    init(_ buffer: PipeBuffer) { self.buffer = buffer }

    deinit { buffer.close(reader: true) }

    var filetype: WASIFiletype { .characterDevice }

    func stat() throws(WASIErrno) -> WASIFileStat { WASIFileStat(filetype: .characterDevice) }

    /// What is buffered (waiting for bytes while the pipe is empty and the writer open). The
    /// bytes reach `target` (guest memory) after the lock is let go.
    func read(into target: UnsafeMutableRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        let buffer = self.buffer
        let taken: [UInt8]? = buffer.withLock {
            let ready = buffer.wait { buffer.buffered > 0 || !buffer.writerOpen }
            if !ready && buffer.monitor != nil { return nil }
            return buffer.take(target.count)
        }
        guard let taken else { throw .interrupted }
        for index in 0..<taken.count { target[index] = taken[index] }
        return taken.count
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        throw .badFileDescriptor
    }

    func isReady(forWriting: Bool) -> Bool {
        !forWriting && buffer.withLock { buffer.buffered > 0 || !buffer.writerOpen || buffer.monitor == nil }
    }
}

final class PipeWriteEnd: WASIFile {
    let buffer: PipeBuffer

    init(_ buffer: PipeBuffer) { self.buffer = buffer }

    deinit { buffer.close(reader: false) }

    var filetype: WASIFiletype { .characterDevice }

    func stat() throws(WASIErrno) -> WASIFileStat { WASIFileStat(filetype: .characterDevice) }

    func read(into target: UnsafeMutableRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        throw .badFileDescriptor
    }

    /// All of `bytes`, waiting for room as the reader drains the pipe; `brokenPipe` if the reader
    /// is gone before anything was written.
    func write(_ source: UnsafeRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        let buffer = self.buffer
        let bytes = Array(source)  // read from guest memory before the lock is taken
        let (written, interrupted) = buffer.withLock { () -> (Int, Bool) in
            var written = 0
            while written < bytes.count {
                guard buffer.readerOpen else { break }
                guard buffer.monitor != nil else {
                    written += buffer.put(bytes, from: written, limit: Int.max)
                    break
                }
                guard buffer.wait(until: { buffer.buffered < buffer.capacity || !buffer.readerOpen }) else {
                    return (written, true)
                }
                guard buffer.readerOpen else { break }
                let room = buffer.capacity - buffer.buffered
                written += buffer.put(bytes, from: written, limit: room)
            }
            return (written, false)
        }
        if written == 0 && bytes.count > 0 { throw interrupted ? .interrupted : .brokenPipe }
        return written
    }

    func isReady(forWriting: Bool) -> Bool {
        forWriting && buffer.withLock { buffer.buffered < buffer.capacity || !buffer.readerOpen || buffer.monitor == nil }
    }
}
