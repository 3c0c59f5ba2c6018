import Glibc
import WASIPreview1

/// A Linux file descriptor as a `WASIFile`: directory operations use the `*at` system calls
/// relative to it with `O_NOFOLLOW`/`AT_SYMLINK_NOFOLLOW`, so a name never escapes through a
/// symbolic link (the WASI layer resolves links itself, inside the preopen).
public final class HostFile: WASIFile {
    public let descriptor: Int32
    private let ownsDescriptor: Bool
    public let filetype: WASIFiletype

    /// Wraps `descriptor`; closes it on deinit if `owns`. A `stream` (the standard streams)
    /// is a character device to the guest whatever it is on the host: no offsets, no seeking.
    public init(descriptor: Int32, owns: Bool = true, stream: Bool = false) {
        self.descriptor = descriptor
        ownsDescriptor = owns
        var status = Glibc.stat()
        if stream {
            filetype = .characterDevice
        } else if fstat(descriptor, &status) == 0 {
            filetype = HostFile.filetype(mode: status.st_mode)
        } else {
            filetype = .unknown
        }
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Opens a host directory (to preopen).
    public static func openDirectory(path: String) -> HostFile? {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        return HostFile(descriptor: fd)
    }

    // MARK: Conversions

    static func filetype(mode: mode_t) -> WASIFiletype {
        switch mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regularFile
        case S_IFLNK: return .symbolicLink
        case S_IFCHR: return .characterDevice
        case S_IFBLK: return .blockDevice
        case S_IFSOCK: return .socketStream
        default: return .unknown
        }
    }

    static func nanoseconds(_ time: timespec) -> UInt64 {
        UInt64(max(0, time.tv_sec)) &* 1_000_000_000 &+ UInt64(max(0, time.tv_nsec))
    }

    static func fileStat(_ status: Glibc.stat) -> WASIFileStat {
        WASIFileStat(device: UInt64(status.st_dev), inode: UInt64(status.st_ino),
                     filetype: filetype(mode: status.st_mode), linkCount: UInt64(status.st_nlink),
                     size: UInt64(max(0, status.st_size)), accessTime: nanoseconds(status.st_atim),
                     modificationTime: nanoseconds(status.st_mtim), statusChangeTime: nanoseconds(status.st_ctim))
    }

    /// The WASI errno for the current `errno`.
    static func lastError() -> WASIErrno { HostFile.errno(Glibc.errno) }

    static func errno(_ code: Int32) -> WASIErrno {
        switch code {
        case EPERM: return .permission
        case ENOENT: return .noEntry
        case ESRCH: return .noSuchProcess
        case EINTR: return .interrupted
        case EIO: return .io
        case ENXIO: return .noSuchDeviceOrAddress
        case E2BIG: return .tooBig
        case ENOEXEC: return .noExec
        case EBADF: return .badFileDescriptor
        case ECHILD: return .child
        case EAGAIN: return .again
        case ENOMEM: return .noMemory
        case EACCES: return .access
        case EFAULT: return .fault
        case EBUSY: return .busy
        case EEXIST: return .exists
        case EXDEV: return .crossDevice
        case ENODEV: return .noDevice
        case ENOTDIR: return .notDirectory
        case EISDIR: return .isDirectory
        case EINVAL: return .invalid
        case ENFILE: return .tooManyFilesInSystem
        case EMFILE: return .tooManyFiles
        case ENOTTY: return .notTTY
        case ETXTBSY: return .textBusy
        case EFBIG: return .fileTooBig
        case ENOSPC: return .noSpace
        case ESPIPE: return .invalidSeek
        case EROFS: return .readOnlyFileSystem
        case EMLINK: return .tooManyLinks
        case EPIPE: return .brokenPipe
        case EDOM: return .domain
        case ERANGE: return .range
        case EDEADLK: return .deadlock
        case ENAMETOOLONG: return .nameTooLong
        case ENOLCK: return .noLock
        case ENOSYS: return .noSys
        case ENOTEMPTY: return .notEmpty
        case ELOOP: return .loop
        case EOVERFLOW: return .overflow
        case EILSEQ: return .illegalSequence
        case ENOTSOCK: return .notSocket
        case EOPNOTSUPP: return .notSupported
        case ETIMEDOUT: return .timedOut
        case EDQUOT: return .quota
        default: return .io
        }
    }

    // MARK: Files

    public func stat() throws(WASIErrno) -> WASIFileStat {
        var status = Glibc.stat()
        guard fstat(descriptor, &status) == 0 else { throw HostFile.lastError() }
        var result = HostFile.fileStat(status)
        result.filetype = filetype
        return result
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        if filetype == .directory { throw .isDirectory }
        while true {
            let count: Int
            if let offset {
                guard offset <= UInt64(Int64.max) else { return 0 }
                count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            } else {
                count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count >= 0 { return count }
            if Glibc.errno == EINTR { continue }
            throw HostFile.lastError()
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        if filetype == .directory { throw .isDirectory }
        while true {
            let count: Int
            if let offset {
                guard offset <= UInt64(Int64.max) else { throw .fileTooBig }
                count = pwrite(descriptor, bytes.baseAddress, bytes.count, off_t(offset))
            } else {
                count = Glibc.write(descriptor, bytes.baseAddress, bytes.count)
            }
            if count >= 0 { return count }
            if Glibc.errno == EINTR { continue }
            throw HostFile.lastError()
        }
    }

    public func setSize(_ size: UInt64) throws(WASIErrno) {
        if filetype == .directory { throw .isDirectory }
        guard size <= UInt64(Int64.max) else { throw .fileTooBig }
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw HostFile.lastError() }
    }

    /// `UTIME_OMIT` (a macro Swift does not import).
    static let timeOmit = (1 << 30) - 2

    static func timespecs(access: UInt64?, modification: UInt64?) -> [timespec] {
        func spec(_ time: UInt64?) -> timespec {
            guard let time else { return timespec(tv_sec: 0, tv_nsec: HostFile.timeOmit) }
            return timespec(tv_sec: Int(time / 1_000_000_000), tv_nsec: Int(time % 1_000_000_000))
        }
        return [spec(access), spec(modification)]
    }

    public func setTimes(access: UInt64?, modification: UInt64?) throws(WASIErrno) {
        let times = HostFile.timespecs(access: access, modification: modification)
        guard futimens(descriptor, times) == 0 else { throw HostFile.lastError() }
    }

    public func sync(dataOnly: Bool) throws(WASIErrno) {
        let result = dataOnly ? fdatasync(descriptor) : fsync(descriptor)
        // Syncing a directory or a terminal may be refused; nothing to do then.
        if result != 0 && Glibc.errno != EINVAL && Glibc.errno != EROFS { throw HostFile.lastError() }
    }

    public func allocate(offset: UInt64, length: UInt64) throws(WASIErrno) {
        if filetype == .directory { throw .badFileDescriptor }
        guard offset <= UInt64(Int64.max), length <= UInt64(Int64.max) else { throw .fileTooBig }
        guard length > 0 else { return }
        let result = posix_fallocate(descriptor, off_t(offset), off_t(length))
        if result == EOPNOTSUPP {
            // File systems without fallocate: extending the size has the same visible effect.
            let end = offset + length
            if try stat().size < end { try setSize(end) }
            return
        }
        guard result == 0 else { throw HostFile.errno(result) }
    }

    public func advise(offset: UInt64, length: UInt64, advice: WASIAdvice) throws(WASIErrno) {
        if filetype == .directory { throw .badFileDescriptor }
        let hostAdvice: Int32
        switch advice {
        case .normal: hostAdvice = POSIX_FADV_NORMAL
        case .sequential: hostAdvice = POSIX_FADV_SEQUENTIAL
        case .random: hostAdvice = POSIX_FADV_RANDOM
        case .willNeed: hostAdvice = POSIX_FADV_WILLNEED
        case .dontNeed: hostAdvice = POSIX_FADV_DONTNEED
        case .noReuse: hostAdvice = POSIX_FADV_NOREUSE
        }
        let result = posix_fadvise(descriptor, off_t(truncatingIfNeeded: offset), off_t(truncatingIfNeeded: length),
                                   hostAdvice)
        // Pipes and terminals have no page cache to advise about.
        if result != 0 && result != ESPIPE { throw HostFile.errno(result) }
    }

    public func isReady(forWriting: Bool) -> Bool {
        if filetype == .regularFile || filetype == .directory { return true }
        var entry = pollfd(fd: descriptor, events: Int16(forWriting ? POLLOUT : POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }

    // MARK: Directories

    public func entries() throws(WASIErrno) -> [WASIDirectoryEntry] {
        if filetype != .directory { throw .notDirectory }
        // A fresh descriptor: `fdopendir` takes it over (and its position) until `closedir`.
        let fd = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw HostFile.lastError() }
        guard let stream = fdopendir(fd) else {
            close(fd)
            throw HostFile.lastError()
        }
        defer { closedir(stream) }
        var result: [WASIDirectoryEntry] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
                let bytes = raw.prefix(while: { $0 != 0 })
                return String(decoding: bytes, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let type: WASIFiletype
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): type = .directory
            case Int32(DT_REG): type = .regularFile
            case Int32(DT_LNK): type = .symbolicLink
            case Int32(DT_CHR): type = .characterDevice
            case Int32(DT_BLK): type = .blockDevice
            case Int32(DT_SOCK): type = .socketStream
            default: type = (try? lookup(name).filetype) ?? .unknown
            }
            result.append(WASIDirectoryEntry(name: name, filetype: type, inode: UInt64(entry.pointee.d_ino)))
        }
        return result
    }

    public func lookup(_ name: String) throws(WASIErrno) -> WASIFileStat {
        var status = Glibc.stat()
        guard fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { throw HostFile.lastError() }
        return HostFile.fileStat(status)
    }

    public func openDirectory(_ name: String) throws(WASIErrno) -> any WASIFile {
        let fd = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw HostFile.lastError() }
        return HostFile(descriptor: fd)
    }

    public func openFile(_ name: String, create: Bool, exclusive: Bool, truncate: Bool,
                         read: Bool, write: Bool) throws(WASIErrno) -> any WASIFile {
        var flags = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK
        if read && write {
            flags |= O_RDWR
        } else if write {
            flags |= O_WRONLY
        } else {
            flags |= O_RDONLY
        }
        if create { flags |= O_CREAT }
        if exclusive { flags |= O_EXCL }
        if truncate { flags |= O_TRUNC }
        var fd = openat(descriptor, name, flags, mode_t(0o666))
        if fd < 0 && Glibc.errno == EACCES && read && write && !truncate {
            // Read-only file opened with both rights: reading may still work.
            fd = openat(descriptor, name, (flags & ~O_RDWR) | O_RDONLY, mode_t(0o666))
        }
        guard fd >= 0 else { throw HostFile.lastError() }
        // O_NONBLOCK only kept open() from blocking on FIFOs.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return HostFile(descriptor: fd)
    }

    public func createDirectory(_ name: String) throws(WASIErrno) {
        guard mkdirat(descriptor, name, mode_t(0o777)) == 0 else { throw HostFile.lastError() }
    }

    public func removeDirectory(_ name: String) throws(WASIErrno) {
        guard unlinkat(descriptor, name, AT_REMOVEDIR) == 0 else {
            let error = HostFile.lastError()
            throw error == .exists ? .notEmpty : error
        }
    }

    public func unlinkFile(_ name: String) throws(WASIErrno) {
        guard unlinkat(descriptor, name, 0) == 0 else { throw HostFile.lastError() }
    }

    public func readLink(_ name: String) throws(WASIErrno) -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let count = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return readlinkat(descriptor, name, base.assumingMemoryBound(to: CChar.self), capacity)
            }
            guard count >= 0 else { throw HostFile.lastError() }
            if count < capacity { return Array(buffer.prefix(count)) }
            guard capacity < 1 << 16 else { throw .nameTooLong }
            capacity *= 4
        }
    }

    public func createSymlink(_ name: String, target: [UInt8]) throws(WASIErrno) {
        var terminated = target.map { CChar(bitPattern: $0) }
        terminated.append(0)
        guard symlinkat(terminated, descriptor, name) == 0 else { throw HostFile.lastError() }
    }

    private static func peer(_ directory: any WASIFile) throws(WASIErrno) -> HostFile {
        guard let host = directory as? HostFile else { throw .crossDevice }
        return host
    }

    public func link(_ name: String, to directory: any WASIFile, as newName: String) throws(WASIErrno) {
        let destination = try HostFile.peer(directory)
        guard linkat(descriptor, name, destination.descriptor, newName, 0) == 0 else { throw HostFile.lastError() }
    }

    public func rename(_ name: String, to directory: any WASIFile, as newName: String) throws(WASIErrno) {
        let destination = try HostFile.peer(directory)
        guard renameat(descriptor, name, destination.descriptor, newName) == 0 else {
            let error = HostFile.lastError()
            throw error == .exists ? .notEmpty : error
        }
    }

    public func setTimes(of name: String, access: UInt64?, modification: UInt64?) throws(WASIErrno) {
        let times = HostFile.timespecs(access: access, modification: modification)
        guard utimensat(descriptor, name, times, AT_SYMLINK_NOFOLLOW) == 0 else { throw HostFile.lastError() }
    }
}

/// Linux clocks (`clock_gettime`) and `nanosleep`.
public final class HostClock: WASIClock {
    public init() {}

    private static func hostClock(_ clock: WASIClockID) -> clockid_t {
        switch clock {
        case .realtime: return CLOCK_REALTIME
        case .monotonic: return CLOCK_MONOTONIC
        case .processCPUTime: return CLOCK_PROCESS_CPUTIME_ID
        case .threadCPUTime: return CLOCK_THREAD_CPUTIME_ID
        }
    }

    public func now(_ clock: WASIClockID) -> UInt64? {
        var time = timespec()
        guard clock_gettime(HostClock.hostClock(clock), &time) == 0 else { return nil }
        return HostFile.nanoseconds(time)
    }

    public func resolution(_ clock: WASIClockID) -> UInt64? {
        var time = timespec()
        guard clock_getres(HostClock.hostClock(clock), &time) == 0 else { return nil }
        return max(1, HostFile.nanoseconds(time))
    }

    public func sleep(nanoseconds: UInt64) {
        if nanoseconds == 0 {
            sched_yield()
            return
        }
        let capped = min(nanoseconds, 1_000_000_000 * 3600)
        var request = timespec(tv_sec: Int(capped / 1_000_000_000), tv_nsec: Int(capped % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && Glibc.errno == EINTR { request = remaining }
    }
}

/// The kernel's random source (`getentropy`, 256 bytes per call).
public final class HostRandom: WASIRandomSource {
    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        var done = 0
        while done < buffer.count {
            let chunk = min(256, buffer.count - done)
            guard getentropy(base + done, chunk) == 0 else { return false }
            done += chunk
        }
        return true
    }
}

/// Building WASI contexts for programs run on Linux.
public enum HostedWASI {
    /// A context with the process's standard streams, Linux clocks and random, and the host
    /// directories `preopens` (host path, guest path). Nil (with the host path) if a directory
    /// cannot be opened.
    public static func makeContext(arguments: [String], environment: [String],
                                   preopens: [(host: String, guest: String)],
                                   stdin: (any WASIFile)? = nil, stdout: (any WASIFile)? = nil,
                                   stderr: (any WASIFile)? = nil) -> Result<WASIContext, HostPathError> {
        let context = WASIContext(
            arguments: arguments, environment: environment,
            stdin: stdin ?? HostFile(descriptor: 0, owns: false, stream: true),
            stdout: stdout ?? HostFile(descriptor: 1, owns: false, stream: true),
            stderr: stderr ?? HostFile(descriptor: 2, owns: false, stream: true),
            clock: HostClock(), random: HostRandom())
        for preopen in preopens {
            guard let directory = HostFile.openDirectory(path: preopen.host) else {
                return .failure(HostPathError(path: preopen.host, errno: HostFile.lastError()))
            }
            context.addPreopen(directory, guestPath: preopen.guest)
        }
        return .success(context)
    }
}

/// A host directory that could not be opened.
public struct HostPathError: Error {
    public var path: String
    public var errno: WASIErrno
}
