// Console I/O, arguments, environment, exit, clocks and sleep for Apus programs.

/// A WASI error number (`errno`); `name` is its WASI name, `message` a short description.
struct Errno: Error, Equatable {
    var rawValue: UInt16
    init(_ rawValue: UInt16) { self.rawValue = rawValue }

    static let badFileDescriptor = Errno(8), child = Errno(12), connectionReset = Errno(15), exists = Errno(20), fault = Errno(21)
    static let invalid = Errno(28), io = Errno(29), isDirectory = Errno(31), noEntry = Errno(44)
    static let noExec = Errno(45), noMemory = Errno(48), notDirectory = Errno(54), notEmpty = Errno(55)
    static let notPermitted = Errno(63), range = Errno(68), noSuchProcess = Errno(71), notCapable = Errno(76)

    var message: String {
        switch rawValue {
        case 2: return "permission denied"
        case 6: return "try again"
        case 8: return "bad file descriptor"
        case 12: return "no such child process"
        case 15: return "connection reset (the other end was restarted)"
        case 20: return "file exists"
        case 21: return "bad address"
        case 28: return "invalid argument"
        case 29: return "I/O error"
        case 31: return "is a directory"
        case 44: return "no such file or directory"
        case 45: return "not an executable program"
        case 48: return "out of memory"
        case 52: return "function not implemented"
        case 54: return "not a directory"
        case 55: return "directory not empty"
        case 33: return "too many open files"
        case 58: return "not supported"
        case 64: return "broken pipe"
        case 63: return "operation not permitted"
        case 71: return "no such process"
        case 76: return "capability insufficient"
        default: return "error " + String(rawValue)
        }
    }

    /// `nil` for 0 (success), the errno otherwise.
    static func check(_ raw: UInt16) -> Errno? { raw == 0 ? nil : Errno(raw) }
}

// MARK: Output

/// Writes all of `bytes` to the descriptor `fd` (1 = stdout, 2 = stderr).
func writeBytes<C: Collection>(_ bytes: C, to fd: Int32 = 1) where C.Element == UInt8 {
    var array = Array(bytes)
    var offset = 0
    while offset < array.count {
        var written: UInt32 = 0
        let status: UInt16 = array.withUnsafeMutableBytes { buffer in
            var vector: (UInt32, UInt32) = (UInt32(UInt(bitPattern: buffer.baseAddress! + offset)),
                                            UInt32(buffer.count - offset))
            return withUnsafePointer(to: &vector) { wasi_fd_write(fd, UnsafeRawPointer($0), 1, &written) }
        }
        if status != 0 || written == 0 { return }
        offset += Int(written)
    }
}

/// Prints `text` and `terminator` to standard output.
func print(_ text: String, terminator: String = "\n") {
    writeBytes((text + terminator).utf8, to: 1)
}

/// Prints `text` and a newline to standard error.
func printError(_ text: String) {
    writeBytes((text + "\n").utf8, to: 2)
}

// MARK: Input

/// Standard input, buffered.
enum StandardInput {
    nonisolated(unsafe) private static var buffer: [UInt8] = []
    nonisolated(unsafe) private static var position = 0
    /// Read one byte at a time, leaving the rest of the input to the programs this one starts
    /// (the shell sets it, as shells reading a pipe do).
    nonisolated(unsafe) static var unbuffered = false

    /// The next byte, or nil at end of input.
    static func readByte() -> UInt8? {
        if position >= buffer.count {
            buffer = [UInt8](repeating: 0, count: unbuffered ? 1 : 512)
            var count: UInt32 = 0
            let status: UInt16 = buffer.withUnsafeMutableBytes { bytes in
                var vector: (UInt32, UInt32) = (UInt32(UInt(bitPattern: bytes.baseAddress)), UInt32(bytes.count))
                return withUnsafePointer(to: &vector) { wasi_fd_read(0, UnsafeRawPointer($0), 1, &count) }
            }
            position = 0
            guard status == 0, count > 0 else {
                buffer = []
                return nil
            }
            buffer.removeLast(buffer.count - Int(count))
        }
        position += 1
        return buffer[position - 1]
    }
}

/// One line of standard input without its newline; nil at end of input.
func readLine() -> String? {
    var line: [UInt8] = []
    while let byte = StandardInput.readByte() {
        if byte == 10 { return String(decoding: line, as: UTF8.self) }
        line.append(byte)
    }
    return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
}

// MARK: Arguments and environment

/// Reads a WASI string list (`args_*` or `environ_*`).
private func stringList(
    _ sizes: (UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt32>) -> UInt16,
    _ get: (UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt8>) -> UInt16
) -> [String] {
    var count: UInt32 = 0, size: UInt32 = 0
    guard sizes(&count, &size) == 0, count > 0 else { return [] }
    var pointers = [UInt32](repeating: 0, count: Int(count))
    var bytes = [UInt8](repeating: 0, count: Int(size) + 1)
    let status = pointers.withUnsafeMutableBufferPointer { p in
        bytes.withUnsafeMutableBufferPointer { b in get(p.baseAddress!, b.baseAddress!) }
    }
    guard status == 0 else { return [] }
    return bytes.withUnsafeBufferPointer { b in
        let base = UInt32(UInt(bitPattern: b.baseAddress))
        return pointers.map { pointer in
            let start = Int(pointer &- base)
            guard start >= 0 && start < b.count else { return "" }
            var end = start
            while end < b.count && b[end] != 0 { end += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
        }
    }
}

/// The program's arguments; the first is its name.
func commandLineArguments() -> [String] {
    stringList({ wasi_args_sizes_get($0, $1) }, { wasi_args_get($0, $1) })
}

/// The environment as `KEY=VALUE` entries.
func environment() -> [String] {
    stringList({ wasi_environ_sizes_get($0, $1) }, { wasi_environ_get($0, $1) })
}

/// The value of the environment variable `key`.
func environmentValue(_ key: String) -> String? {
    let prefix = key + "="
    for entry in environment() where entry.hasPrefix(prefix) {
        return String(decoding: entry.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }
    return nil
}

// MARK: Exit, clocks, sleep

/// Ends the program with `code`.
func exit(_ code: Int32) -> Never {
    wasi_proc_exit(UInt32(bitPattern: code))
    while true {}  // proc_exit does not return
}

/// Nanoseconds of the monotonic clock.
func monotonicNanoseconds() -> UInt64 {
    var time: UInt64 = 0
    _ = wasi_clock_time_get(1, 1, &time)
    return time
}

/// Nanoseconds since the Unix epoch.
func realtimeNanoseconds() -> UInt64 {
    var time: UInt64 = 0
    _ = wasi_clock_time_get(0, 1, &time)
    return time
}

/// Blocks for about `nanoseconds` (one `poll_oneoff` clock subscription).
func sleep(nanoseconds: UInt64) {
    // subscription: userdata u64, tag u8 (0 = clock) at 8, clock id u32 at 16, timeout u64 at 24,
    // precision u64 at 32, flags u16 at 40; 48 bytes. event: 32 bytes.
    var subscription = [UInt8](repeating: 0, count: 48)
    var event = [UInt8](repeating: 0, count: 32)
    subscription.withUnsafeMutableBytes { s in
        s.storeBytes(of: UInt32(1), toByteOffset: 16, as: UInt32.self)
        s.storeBytes(of: nanoseconds, toByteOffset: 24, as: UInt64.self)
    }
    var stored: UInt32 = 0
    subscription.withUnsafeBytes { s in
        event.withUnsafeMutableBytes { e in _ = wasi_poll_oneoff(s.baseAddress!, e.baseAddress!, 1, &stored) }
    }
}

// MARK: Text helpers

extension String {
    /// `self` padded with spaces on the left to `width` characters (bytes).
    func padded(toWidth width: Int, left: Bool = true) -> String {
        let count = utf8.count
        guard count < width else { return self }
        let padding = String(repeating: " ", count: width - count)
        return left ? padding + self : self + padding
    }

    /// Fields separated by runs of `separator`.
    func fields(separator: UInt8 = 32) -> [String] {
        utf8.split(separator: separator).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Parses an unsigned decimal integer.
    var unsignedValue: UInt64? {
        var value: UInt64 = 0
        for byte in utf8 {
            guard byte >= 48 && byte <= 57 else { return nil }
            let (product, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = product.addingReportingOverflow(UInt64(byte - 48))
            guard !overflow1 && !overflow2 else { return nil }
            value = sum
        }
        return utf8.isEmpty ? nil : value
    }

    /// Parses a decimal integer (optional `-`).
    var integerValue: Int? {
        var value = 0
        var negative = false
        var digits = 0
        for (index, byte) in utf8.enumerated() {
            if index == 0 && byte == UInt8(ascii: "-") { negative = true; continue }
            guard byte >= 48 && byte <= 57 else { return nil }
            let (product, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = product.addingReportingOverflow(Int(byte - 48))
            guard !overflow1 && !overflow2 else { return nil }
            value = sum
            digits += 1
        }
        guard digits > 0 else { return nil }
        return negative ? -value : value
    }
}

/// `bytes` as a human-readable size (`512`, `12K`, `3.4M`, `1.2G`).
func formatSize(_ bytes: UInt64) -> String {
    let units = ["", "K", "M", "G", "T"]
    var unit = 0
    var tenths = bytes * 10
    while tenths >= 10240 && unit < units.count - 1 {
        tenths /= 1024
        unit += 1
    }
    if unit == 0 { return String(bytes) }
    if tenths < 100 { return String(tenths / 10) + "." + String(tenths % 10) + units[unit] }
    return String(tenths / 10) + units[unit]
}
