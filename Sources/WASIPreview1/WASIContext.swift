import WasmRuntime

/// One open guest file descriptor: the system object plus the state preview 1 keeps per
/// descriptor (offset, flags, rights).
final class WASIDescriptor {
    let file: any WASIFile
    var rightsBase: UInt64
    var rightsInheriting: UInt64
    var flags: UInt16
    /// Position for `fd_read`/`fd_write` on seekable files.
    var offset: UInt64 = 0
    /// The guest path of a preopened directory (`fd_prestat_get`).
    let preopenPath: String?

    init(file: any WASIFile, rightsBase: UInt64, rightsInheriting: UInt64, flags: UInt16 = 0,
         preopenPath: String? = nil) {
        self.file = file
        self.rightsBase = rightsBase
        self.rightsInheriting = rightsInheriting
        self.flags = flags
        self.preopenPath = preopenPath
    }

    var isSeekable: Bool { file.filetype == .regularFile || file.filetype == .blockDevice }

    /// Throws unless every right in `rights` is held: `.notCapable`, or `.badFileDescriptor` for
    /// reading or writing a directory.
    func require(_ rights: UInt64) throws(WASIErrno) {
        guard rightsBase & rights == rights else {
            throw file.filetype == .directory && rights & (WASIRights.fdRead | WASIRights.fdWrite) != 0
                ? .badFileDescriptor : .notCapable
        }
    }
}

/// An open descriptor's object and state, to give to another program as a standard stream.
public struct WASIStream {
    public let file: any WASIFile
    let rightsBase: UInt64
    let flags: UInt16
    let offset: UInt64
}

/// The state of one WASI program: arguments, environment, the descriptor table (standard
/// streams, preopened directories, open files), the system objects below, and the exit code.
/// Define its functions in a linker with `define(in:store:)`, instantiate, `bind` the instance's
/// memory, then `runCommand(_:)`.
public final class WASIContext {
    public var arguments: [String]
    /// Entries `KEY=VALUE`.
    public var environment: [String]
    public let clock: any WASIClock
    public let random: any WASIRandomSource
    /// The guest memory the functions read and write (the instance's export `memory`).
    public var memory: Memory?
    /// Set by `proc_exit`.
    public private(set) var exitCode: UInt32?
    var descriptors: [WASIDescriptor?] = []

    /// Most descriptors a program may hold at once.
    public static let descriptorLimit = 4096
    /// Most symbolic links one path resolution follows.
    static let symlinkLimit = 32

    public init(arguments: [String], environment: [String], stdin: any WASIFile, stdout: any WASIFile,
                stderr: any WASIFile, clock: any WASIClock, random: any WASIRandomSource) {
        self.arguments = arguments
        self.environment = environment
        self.clock = clock
        self.random = random
        for stream in [stdin, stdout, stderr] {
            let rights = stream.filetype == .regularFile ? WASIRights.regularFile : WASIRights.characterDevice
            descriptors.append(WASIDescriptor(file: stream, rightsBase: rights, rightsInheriting: 0))
        }
    }

    /// Adds a preopened directory visible to the guest as `guestPath`; returns its descriptor.
    /// `readOnly`: the guest may list and read what is below, not change it (hosted `/bin`).
    @discardableResult
    public func addPreopen(_ directory: any WASIFile, guestPath: String, readOnly: Bool = false) -> UInt32 {
        let descriptor = WASIDescriptor(file: directory,
                                        rightsBase: readOnly ? WASIRights.readOnlyDirectory : WASIRights.directory,
                                        rightsInheriting: readOnly ? WASIRights.readOnlyTree : WASIRights.all,
                                        preopenPath: guestPath)
        descriptors.append(descriptor)
        return UInt32(descriptors.count - 1)
    }

    /// Binds the instance's exported memory (`memory`); false if it has none.
    @discardableResult
    public func bind(_ instance: Instance) -> Bool {
        memory = instance.memory("memory")
        return memory != nil
    }

    /// Records the exit code and returns the trap that unwinds the guest (`proc_exit`).
    func exit(_ code: UInt32) -> Trap {
        exitCode = code
        return Trap(message: "exit with code " + String(code))
    }

    /// Calls the command's `_start` and returns its exit code (0 when `_start` returns).
    /// Traps other than `proc_exit` are rethrown.
    public func runCommand(_ instance: Instance) throws(Trap) -> UInt32 {
        if memory == nil { bind(instance) }
        guard let start = instance.function("_start") else {
            throw Trap(message: "the module exports no _start function")
        }
        do throws(Trap) {
            _ = try start.call([])
        } catch {
            if let exitCode { return exitCode }
            throw error
        }
        return exitCode ?? 0
    }

    // MARK: Descriptors

    func descriptor(_ fd: UInt32) throws(WASIErrno) -> WASIDescriptor {
        guard Int(fd) < descriptors.count, let descriptor = descriptors[Int(fd)] else { throw .badFileDescriptor }
        return descriptor
    }

    func insert(_ descriptor: WASIDescriptor) throws(WASIErrno) -> UInt32 {
        if let free = descriptors.firstIndex(where: { $0 == nil }) {
            descriptors[free] = descriptor
            return UInt32(free)
        }
        guard descriptors.count < WASIContext.descriptorLimit else { throw .tooManyFiles }
        descriptors.append(descriptor)
        return UInt32(descriptors.count - 1)
    }

    func directory(_ fd: UInt32, rights: UInt64) throws(WASIErrno) -> WASIDescriptor {
        let entry = try descriptor(fd)
        guard entry.file.filetype == .directory else { throw .notDirectory }
        guard entry.rightsBase & rights == rights else { throw .notCapable }
        return entry
    }

    // MARK: Sharing with other programs (`apus.spawn_stdio`, `apus.pipe`, spawn by path)

    /// An open stream, file or pipe end as another program's standard stream.
    public func stream(_ fd: UInt32) -> WASIStream? {
        guard Int(fd) < descriptors.count, let entry = descriptors[Int(fd)], entry.file.filetype != .directory
        else { return nil }
        return WASIStream(file: entry.file, rightsBase: entry.rightsBase, flags: entry.flags, offset: entry.offset)
    }

    /// Makes `stream` this program's descriptor `fd` (0, 1 or 2), before it starts.
    public func setStandardStream(_ fd: UInt32, _ stream: WASIStream) {
        guard fd < 3 else { return }
        let descriptor = WASIDescriptor(file: stream.file, rightsBase: stream.rightsBase, rightsInheriting: 0,
                                        flags: stream.flags)
        descriptor.offset = stream.offset
        descriptors[Int(fd)] = descriptor
    }

    /// A new descriptor for `file` (a pipe end), with the rights of a stream.
    public func open(_ file: any WASIFile) throws(WASIErrno) -> UInt32 {
        try insert(WASIDescriptor(file: file, rightsBase: WASIRights.characterDevice, rightsInheriting: 0))
    }

    /// The contents of the regular file at the absolute guest `path`, reached through the
    /// preopened directory with the longest matching guest path, as the program itself would
    /// open it (its rights, no escaping the preopen): how `spawn` loads a program from a file.
    public func readFile(atPath path: String) throws(WASIErrno) -> [UInt8] {
        let wanted = WASIContext.components(path)
        var best: (directory: any WASIFile, depth: Int)?
        for case let entry? in descriptors {
            guard let preopenPath = entry.preopenPath, entry.rightsBase & WASIRights.pathOpen != 0,
                  entry.rightsInheriting & WASIRights.fdRead != 0 else { continue }
            let prefix = WASIContext.components(preopenPath)
            guard wanted.count >= prefix.count, best == nil || prefix.count > best!.depth else { continue }
            var matches = true
            for index in 0..<prefix.count where wanted[index] != prefix[index] { matches = false }
            if matches { best = (entry.file, prefix.count) }
        }
        guard let best else { throw .noEntry }
        let rest = wanted[best.depth...]
        guard !rest.isEmpty else { throw .isDirectory }
        var relative: [UInt8] = []
        for component in rest {
            if !relative.isEmpty { relative.append(UInt8(ascii: "/")) }
            relative.append(contentsOf: component.utf8)
        }
        let file: any WASIFile
        let size: UInt64
        switch try resolve(best.directory, relative, followFinal: true) {
        case .directory: throw .isDirectory
        case .entry(let parent, let name, _):
            let stat = try parent.lookup(name)
            if stat.filetype == .directory { throw .isDirectory }
            size = stat.size
            file = try parent.openFile(name, create: false, exclusive: false, truncate: false, read: true, write: false)
        }
        guard size <= UInt64(Int32.max) else { throw .fileTooBig }
        // Read straight into an array of the file's size (programs may be tens of MB).
        var contents = [UInt8](repeating: 0, count: Int(size))
        var filled = 0
        while filled < contents.count {
            let result = contents.withUnsafeMutableBytes { buffer -> Result<Int, WASIErrno> in
                do throws(WASIErrno) {
                    let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])
                    return .success(try file.read(into: rest, at: UInt64(filled)))
                } catch {
                    return .failure(error)
                }
            }
            let count = try result.get()
            if count == 0 { break }
            filled += count
        }
        contents.removeLast(contents.count - filled)
        return contents
    }

    // MARK: Path resolution

    /// Where a path leads: a directory object itself (`.`, `..`, `dir/.`), or a name in a
    /// directory (which may not exist). `trailingSlash`: the path ended in `/`, so the entry must
    /// be a directory.
    enum Resolved {
        case directory(any WASIFile)
        case entry(parent: any WASIFile, name: String, trailingSlash: Bool)
    }

    /// Validates a guest path: no NUL, valid UTF-8, not empty.
    static func pathString(_ bytes: [UInt8]) throws(WASIErrno) -> String {
        guard !bytes.isEmpty else { throw .noEntry }
        guard !bytes.contains(0) else { throw .invalid }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else { throw .illegalSequence }
        return text
    }

    /// Resolves `path` relative to the directory `base`, one component at a time. The directory
    /// object a descriptor refers to is the root of what the path may reach: absolute paths,
    /// `..` above it and symlinks leading out are refused with `.notCapable`. Symbolic links in
    /// the middle are always followed; in the last component only if `followFinal` (or the path
    /// ends in `/`).
    func resolve(_ base: any WASIFile, _ pathBytes: [UInt8], followFinal: Bool) throws(WASIErrno) -> Resolved {
        let path = try WASIContext.pathString(pathBytes)
        guard pathBytes.first != UInt8(ascii: "/") else { throw .notCapable }
        var trailingSlash = pathBytes.last == UInt8(ascii: "/")
        var pending = WASIContext.components(path).reversed() as [String]
        var stack: [any WASIFile] = [base]
        var links = 0
        while let component = pending.popLast() {
            let isLast = pending.isEmpty
            let top = stack[stack.count - 1]
            if component == "." {
                if isLast { return .directory(top) }
                continue
            }
            if component == ".." {
                guard stack.count > 1 else { throw .notCapable }
                stack.removeLast()
                if isLast { return .directory(stack[stack.count - 1]) }
                continue
            }
            if isLast && !followFinal && !trailingSlash {
                return .entry(parent: top, name: component, trailingSlash: false)
            }
            let stat: WASIFileStat
            do throws(WASIErrno) {
                stat = try top.lookup(component)
            } catch {
                if isLast && error == .noEntry {
                    return .entry(parent: top, name: component, trailingSlash: trailingSlash)
                }
                throw error
            }
            if stat.filetype == .symbolicLink {
                links += 1
                guard links <= WASIContext.symlinkLimit else { throw .loop }
                let target = try top.readLink(component)
                guard !target.isEmpty else { throw .noEntry }
                guard target.first != UInt8(ascii: "/") else { throw .notCapable }
                if isLast && target.last == UInt8(ascii: "/") { trailingSlash = true }
                let targetPath = String(decoding: target, as: UTF8.self)
                pending.append(contentsOf: WASIContext.components(targetPath).reversed())
                if pending.isEmpty { return .directory(top) }
                continue
            }
            if isLast { return .entry(parent: top, name: component, trailingSlash: trailingSlash) }
            guard stat.filetype == .directory else { throw .notDirectory }
            stack.append(try top.openDirectory(component))
        }
        return .directory(stack[stack.count - 1])
    }

    /// Non-empty components of a path (`a//b/` → `a`, `b`).
    static func components(_ path: String) -> [String] {
        var result: [String] = []
        for part in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            result.append(String(decoding: part, as: UTF8.self))
        }
        return result
    }

    /// The current real time, for "set to now" timestamps.
    var realtimeNow: UInt64 { clock.now(.realtime) ?? 0 }
}
