/// An open file, directory or stream of the system below WASI: what one guest file descriptor
/// refers to. The preview 1 layer (`WASIContext`) keeps offsets, flags and rights itself, resolves
/// paths one component at a time (so `..`, absolute paths and symlinks are checked in one place
/// for every system) and asks the object only for single-name operations in a directory.
///
/// Names passed to directory operations are single components: never empty, never containing
/// `/` or NUL, never `.` or `..`. Operations never follow a symbolic link in the last component.
/// The defaults (extension below) describe an object that supports nothing.
public protocol WASIFile: AnyObject {
    /// What kind of object this is (`.directory`, `.regularFile`, `.characterDevice`, …).
    var filetype: WASIFiletype { get }

    func stat() throws(WASIErrno) -> WASIFileStat

    /// Reads at `offset`, or from the stream's current position when `offset` is nil (streams).
    /// Returns the number of bytes read; 0 at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int
    /// Writes at `offset`, or to the stream when `offset` is nil. Returns the number written.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int

    func setSize(_ size: UInt64) throws(WASIErrno)
    /// Sets the access and/or modification time (nanoseconds since the epoch); nil leaves one.
    func setTimes(access: UInt64?, modification: UInt64?) throws(WASIErrno)
    func sync(dataOnly: Bool) throws(WASIErrno)
    func allocate(offset: UInt64, length: UInt64) throws(WASIErrno)
    func advise(offset: UInt64, length: UInt64, advice: WASIAdvice) throws(WASIErrno)
    /// Whether a read (or write) would not block now; for `poll_oneoff`.
    func isReady(forWriting: Bool) -> Bool

    // Directory operations on single names ------------------------------------------------

    /// The entries of this directory, without `.` and `..`.
    func entries() throws(WASIErrno) -> [WASIDirectoryEntry]
    /// `lstat` of a name in this directory.
    func lookup(_ name: String) throws(WASIErrno) -> WASIFileStat
    /// Opens the directory `name` (not following a symlink).
    func openDirectory(_ name: String) throws(WASIErrno) -> any WASIFile
    /// Opens (or creates) the non-directory `name`. `read`/`write` say how the guest may use it.
    func openFile(_ name: String, create: Bool, exclusive: Bool, truncate: Bool,
                  read: Bool, write: Bool) throws(WASIErrno) -> any WASIFile
    func createDirectory(_ name: String) throws(WASIErrno)
    func removeDirectory(_ name: String) throws(WASIErrno)
    func unlinkFile(_ name: String) throws(WASIErrno)
    func readLink(_ name: String) throws(WASIErrno) -> [UInt8]
    func createSymlink(_ name: String, target: [UInt8]) throws(WASIErrno)
    /// Hard-links `name` as `newName` in `directory` (an object of the same system).
    func link(_ name: String, to directory: any WASIFile, as newName: String) throws(WASIErrno)
    /// Renames `name` to `newName` in `directory` (an object of the same system), replacing
    /// what is there as `rename(2)` does.
    func rename(_ name: String, to directory: any WASIFile, as newName: String) throws(WASIErrno)
    /// Sets the times of `name` itself (a symlink is not followed).
    func setTimes(of name: String, access: UInt64?, modification: UInt64?) throws(WASIErrno)
}

extension WASIFile {
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        throw filetype == .directory ? .isDirectory : .badFileDescriptor
    }
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        throw filetype == .directory ? .isDirectory : .badFileDescriptor
    }
    public func setSize(_ size: UInt64) throws(WASIErrno) {
        throw filetype == .directory ? .isDirectory : .invalid
    }
    public func setTimes(access: UInt64?, modification: UInt64?) throws(WASIErrno) { throw .notSupported }
    public func sync(dataOnly: Bool) throws(WASIErrno) {}
    public func allocate(offset: UInt64, length: UInt64) throws(WASIErrno) { throw .notSupported }
    public func advise(offset: UInt64, length: UInt64, advice: WASIAdvice) throws(WASIErrno) {}
    public func isReady(forWriting: Bool) -> Bool { true }
    public func entries() throws(WASIErrno) -> [WASIDirectoryEntry] { throw .notDirectory }
    public func lookup(_ name: String) throws(WASIErrno) -> WASIFileStat { throw .notDirectory }
    public func openDirectory(_ name: String) throws(WASIErrno) -> any WASIFile { throw .notDirectory }
    public func openFile(_ name: String, create: Bool, exclusive: Bool, truncate: Bool,
                         read: Bool, write: Bool) throws(WASIErrno) -> any WASIFile { throw .notDirectory }
    public func createDirectory(_ name: String) throws(WASIErrno) { throw .notDirectory }
    public func removeDirectory(_ name: String) throws(WASIErrno) { throw .notDirectory }
    public func unlinkFile(_ name: String) throws(WASIErrno) { throw .notDirectory }
    public func readLink(_ name: String) throws(WASIErrno) -> [UInt8] { throw .notDirectory }
    public func createSymlink(_ name: String, target: [UInt8]) throws(WASIErrno) { throw .notDirectory }
    public func link(_ name: String, to directory: any WASIFile, as newName: String) throws(WASIErrno) {
        throw .notDirectory
    }
    public func rename(_ name: String, to directory: any WASIFile, as newName: String) throws(WASIErrno) {
        throw .notDirectory
    }
    public func setTimes(of name: String, access: UInt64?, modification: UInt64?) throws(WASIErrno) {
        throw .notDirectory
    }
}

/// Clocks and sleeping.
public protocol WASIClock: AnyObject {
    /// Nanoseconds of `clock`, or nil if the system does not have that clock.
    func now(_ clock: WASIClockID) -> UInt64?
    /// The resolution of `clock` in nanoseconds, or nil if the system does not have it.
    func resolution(_ clock: WASIClockID) -> UInt64?
    /// Blocks (or yields) for about `nanoseconds`.
    func sleep(nanoseconds: UInt64)
}

/// Random bytes for `random_get`.
public protocol WASIRandomSource: AnyObject {
    /// Fills `buffer` with random bytes; false if the system cannot.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool
}

/// An output stream that collects what the guest writes (for tests and runners), or an input
/// stream that yields fixed bytes. A character device.
public final class WASIBufferStream: WASIFile {
    public private(set) var output: [UInt8] = []
    private var input: [UInt8]
    private var inputPosition = 0

    public init(input: [UInt8] = []) { self.input = input }

    public var filetype: WASIFiletype { .characterDevice }

    public func stat() throws(WASIErrno) -> WASIFileStat { WASIFileStat(filetype: .characterDevice) }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        let count = min(buffer.count, input.count - inputPosition)
        for index in 0..<count { buffer[index] = input[inputPosition + index] }
        inputPosition += count
        return count
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        output.append(contentsOf: bytes)
        return bytes.count
    }

    /// What was written, as text (invalid UTF-8 repaired).
    public var outputText: String { String(decoding: output, as: UTF8.self) }
}
