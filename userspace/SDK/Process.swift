// The Apus process calls (the `apus` import module, docs/USERSPACE.md).

/// A process of the system: spawn, wait, kill, and the system-wide queries.
enum Apus {
    /// Joins strings with a NUL after each.
    static func nulSeparated(_ strings: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for string in strings {
            bytes.append(contentsOf: string.utf8)
            bytes.append(0)
        }
        return bytes
    }

    /// Starts the program `name` with `arguments` (the first is its name) and `environment`
    /// (`KEY=VALUE`; nil: this program's). `name` is a program of the system (`ls`) or, with a
    /// `/`, a module file (made absolute against PWD). `standardStreams`: this program's
    /// descriptors that become the child's 0, 1 and 2 (nil: its own 0, 1, 2). Returns the
    /// new process's pid; after a failure `spawnError` may say more.
    static func spawn(_ name: String, arguments: [String], environment: [String]? = nil,
                      standardStreams: [Int32]? = nil) -> Result<Int32, Errno> {
        let target = name.utf8.contains(UInt8(ascii: "/")) ? absolutePath(name) : name
        let nameBytes = Array(target.utf8)
        let argumentBytes = nulSeparated(arguments.isEmpty ? [name] : arguments)
        let environmentBytes = nulSeparated(environment ?? [])
        let streams = standardStreams ?? []
        let pid = nameBytes.withUnsafeBufferPointer { n in
            argumentBytes.withUnsafeBufferPointer { a in
                environmentBytes.withUnsafeBufferPointer { e in
                    streams.withUnsafeBufferPointer { s in
                        streams.count == 3
                            ? apus_spawn_stdio(n.baseAddress, UInt32(n.count), a.baseAddress, UInt32(a.count),
                                               e.baseAddress, UInt32(e.count), s.baseAddress)
                            : apus_spawn(n.baseAddress, UInt32(n.count), a.baseAddress, UInt32(a.count),
                                         e.baseAddress, UInt32(e.count))
                    }
                }
            }
        }
        return pid >= 0 ? .success(pid) : .failure(Errno(UInt16(truncatingIfNeeded: -pid)))
    }

    /// Why the last `spawn` failed beyond its errno (e.g. the decoder's message), or "".
    static var spawnError: String {
        if case .success(let text) = report({ apus_spawn_error($0, $1) }) { return text }
        return ""
    }

    /// A new pipe: (read end, write end), descriptors of this program (`closeDescriptor` them).
    static func pipe() -> Result<(reader: Int32, writer: Int32), Errno> {
        var ends: [Int32] = [0, 0]
        let errno = ends.withUnsafeMutableBufferPointer { apus_pipe($0.baseAddress) }
        if let error = Errno.check(UInt16(truncatingIfNeeded: errno)) { return .failure(error) }
        return .success((ends[0], ends[1]))
    }

    /// Waits for the child `pid` to end and returns its exit status (134: it trapped; 137: killed).
    static func wait(_ pid: Int32) -> Result<Int32, Errno> {
        let status = apus_wait(pid)
        return status >= 0 ? .success(status) : .failure(Errno(UInt16(truncatingIfNeeded: -status)))
    }

    /// Ends the process `pid`.
    static func kill(_ pid: Int32) -> Errno? { Errno.check(UInt16(truncatingIfNeeded: apus_kill(pid))) }

    /// This process's pid.
    static var pid: Int32 { apus_getpid() }

    /// Nanoseconds since the system started.
    static var uptimeNanoseconds: Int64 { apus_uptime_ns() }

    /// Powers the system off (does not return when it succeeds).
    static func shutdown() -> Errno? { Errno.check(UInt16(truncatingIfNeeded: apus_shutdown())) }

    /// Lets other processes run.
    static func yield() { _ = apus_yield() }

    /// The text a `ps`/`meminfo`-style call fills in (it reports the length it needs).
    private static func report(_ call: (UnsafeMutablePointer<UInt8>?, UInt32) -> Int32) -> Result<String, Errno> {
        var capacity = 1024
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let length = buffer.withUnsafeMutableBufferPointer { call($0.baseAddress, UInt32($0.count)) }
            if length < 0 { return .failure(Errno(UInt16(truncatingIfNeeded: -length))) }
            if Int(length) <= capacity {
                return .success(String(decoding: buffer[0..<Int(length)], as: UTF8.self))
            }
            capacity = Int(length)
        }
    }

    /// One line per process: `PID PPID STATE MEMORY_BYTES NAME`.
    static func processList() -> Result<String, Errno> { report { apus_ps($0, $1) } }

    /// Lines `KEY VALUE`: total, used, free (bytes), processes.
    static func memoryInfo() -> Result<String, Errno> { report { apus_meminfo($0, $1) } }
}
