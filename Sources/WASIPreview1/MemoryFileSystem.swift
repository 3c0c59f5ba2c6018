/// An in-memory file system: directories, regular files, symbolic links, hard links and
/// timestamps. The kernel seeds one from its boot image; `apus exec --memfs` from host trees.
///
/// `root` is the directory to preopen; `MemoryFile` objects (directories and files) are the
/// `WASIFile`s the WASI layer holds.
public final class MemoryFileSystem {
    /// The device number every node reports.
    public static let device: UInt64 = 0x6D656D66
    let clock: (any WASIClock)?
    private var nextInode: UInt64 = 2
    /// The root directory (inode 1).
    public let root: MemoryNode
    /// Largest size of one file: a write far past the end allocates the gap, so this bounds
    /// what one guest call can make the system allocate (`.fileTooBig` beyond it).
    public var maximumFileSize: UInt64 = 64 << 20

    /// `clock` supplies timestamps (realtime); without one every time is 0.
    public init(clock: (any WASIClock)? = nil) {
        self.clock = clock
        root = MemoryNode(kind: .directory, inode: 1, time: clock?.now(.realtime) ?? 0)
    }

    var now: UInt64 { clock?.now(.realtime) ?? 0 }

    func takeInode() -> UInt64 {
        defer { nextInode += 1 }
        return nextInode
    }

    /// The root directory as a `WASIFile`, for `WASIContext.addPreopen`.
    public func rootDirectory() -> MemoryFile { MemoryFile(node: root, system: self) }

    // Seeding ----------------------------------------------------------------------------

    /// Creates (or replaces) a regular file at `path` (components separated by `/`, relative to
    /// the root), creating missing directories.
    @discardableResult
    public func addFile(_ path: String, contents: [UInt8]) -> MemoryNode? {
        guard let (directory, name) = parentForSeeding(path) else { return nil }
        let node = MemoryNode(kind: .regularFile, inode: takeInode(), time: now)
        node.data = contents
        directory.children[name] = node
        return node
    }

    /// Creates the directory `path` and missing parents; returns it (or the existing one).
    @discardableResult
    public func addDirectory(_ path: String) -> MemoryNode? {
        var directory: MemoryNode = root
        for name in WASIContext.components(path) where name != "." {
            guard name != ".." else { return nil }
            if let child = directory.children[name] {
                guard child.kind == .directory else { return nil }
                directory = child
            } else {
                let child = MemoryNode(kind: .directory, inode: takeInode(), time: now)
                directory.children[name] = child
                directory = child
            }
        }
        return directory
    }

    /// Creates a symbolic link at `path` pointing to `target`.
    @discardableResult
    public func addSymlink(_ path: String, target: String) -> MemoryNode? {
        guard let (directory, name) = parentForSeeding(path) else { return nil }
        let node = MemoryNode(kind: .symbolicLink, inode: takeInode(), time: now)
        node.data = Array(target.utf8)
        directory.children[name] = node
        return node
    }

    private func parentForSeeding(_ path: String) -> (MemoryNode, String)? {
        var parts = WASIContext.components(path)
        guard let name = parts.popLast(), name != ".", name != ".." else { return nil }
        var joined = ""
        for part in parts { joined += part + "/" }
        guard let directory = addDirectory(joined) else { return nil }
        return (directory, name)
    }
}

/// A node of a `MemoryFileSystem`: a directory, a regular file or a symbolic link.
public final class MemoryNode {
    public enum Kind: Equatable { case directory, regularFile, symbolicLink }

    public let kind: Kind
    public let inode: UInt64
    /// File contents, or a symlink's target.
    public var data: [UInt8] = []
    /// Directory entries by name.
    public var children: [String: MemoryNode] = [:]
    public var linkCount: UInt64 = 1
    public var accessTime: UInt64
    public var modificationTime: UInt64
    public var statusChangeTime: UInt64

    init(kind: Kind, inode: UInt64, time: UInt64) {
        self.kind = kind
        self.inode = inode
        accessTime = time
        modificationTime = time
        statusChangeTime = time
    }

    var filetype: WASIFiletype {
        switch kind {
        case .directory: return .directory
        case .regularFile: return .regularFile
        case .symbolicLink: return .symbolicLink
        }
    }

    var stat: WASIFileStat {
        WASIFileStat(device: MemoryFileSystem.device, inode: inode, filetype: filetype,
                     linkCount: kind == .directory ? 1 : linkCount,
                     size: kind == .directory ? 0 : UInt64(data.count), accessTime: accessTime,
                     modificationTime: modificationTime, statusChangeTime: statusChangeTime)
    }

    /// Whether `node` is this directory or inside it.
    func contains(_ node: MemoryNode) -> Bool {
        if self === node { return true }
        for child in children.values where child.kind == .directory && child.contains(node) { return true }
        return false
    }
}

/// An open node of a `MemoryFileSystem`.
public final class MemoryFile: WASIFile {
    public let node: MemoryNode
    let system: MemoryFileSystem

    init(node: MemoryNode, system: MemoryFileSystem) {
        self.node = node
        self.system = system
    }

    public var filetype: WASIFiletype { node.filetype }

    public func stat() throws(WASIErrno) -> WASIFileStat { node.stat }

    private func touch(_ node: MemoryNode) {
        let now = system.now
        node.modificationTime = now
        node.statusChangeTime = now
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        guard node.kind == .regularFile else { throw node.kind == .directory ? .isDirectory : .badFileDescriptor }
        let start = offset ?? 0
        guard start < UInt64(node.data.count) else { return 0 }
        let count = min(buffer.count, node.data.count - Int(start))
        node.data.withUnsafeBytes { source in
            if let from = source.baseAddress, let to = buffer.baseAddress {
                to.copyMemory(from: from + Int(start), byteCount: count)
            }
        }
        return count
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
        guard node.kind == .regularFile else { throw node.kind == .directory ? .isDirectory : .badFileDescriptor }
        let start = offset ?? UInt64(node.data.count)
        let (end, overflow) = start.addingReportingOverflow(UInt64(bytes.count))
        guard !overflow, end <= system.maximumFileSize else { throw .fileTooBig }
        if end > UInt64(node.data.count) {
            node.data.append(contentsOf: repeatElement(0, count: Int(end) - node.data.count))
        }
        node.data.withUnsafeMutableBytes { destination in
            if let to = destination.baseAddress, let from = bytes.baseAddress {
                (to + Int(start)).copyMemory(from: from, byteCount: bytes.count)
            }
        }
        if bytes.count > 0 { touch(node) }
        return bytes.count
    }

    public func setSize(_ size: UInt64) throws(WASIErrno) {
        guard node.kind == .regularFile else { throw node.kind == .directory ? .isDirectory : .invalid }
        guard size <= system.maximumFileSize else { throw .fileTooBig }
        if size < UInt64(node.data.count) {
            node.data.removeSubrange(Int(size)...)
        } else {
            node.data.append(contentsOf: repeatElement(0, count: Int(size) - node.data.count))
        }
        touch(node)
    }

    public func allocate(offset: UInt64, length: UInt64) throws(WASIErrno) {
        guard node.kind == .regularFile else { throw .badFileDescriptor }
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard !overflow, end <= system.maximumFileSize else { throw .fileTooBig }
        if end > UInt64(node.data.count) { try setSize(end) }
    }

    public func setTimes(access: UInt64?, modification: UInt64?) throws(WASIErrno) {
        MemoryFile.setTimes(node, access: access, modification: modification, now: system.now)
    }

    static func setTimes(_ node: MemoryNode, access: UInt64?, modification: UInt64?, now: UInt64) {
        if let access { node.accessTime = access }
        if let modification { node.modificationTime = modification }
        node.statusChangeTime = now
    }

    // Directories ------------------------------------------------------------------------

    private func directoryNode() throws(WASIErrno) -> MemoryNode {
        guard node.kind == .directory else { throw .notDirectory }
        return node
    }

    private func child(_ name: String) throws(WASIErrno) -> MemoryNode {
        guard let child = try directoryNode().children[name] else { throw .noEntry }
        return child
    }

    public func entries() throws(WASIErrno) -> [WASIDirectoryEntry] {
        let directory = try directoryNode()
        return directory.children.keys.sorted().compactMap { name in
            guard let child = directory.children[name] else { return nil }
            return WASIDirectoryEntry(name: name, filetype: child.filetype, inode: child.inode)
        }
    }

    public func lookup(_ name: String) throws(WASIErrno) -> WASIFileStat { try child(name).stat }

    public func openDirectory(_ name: String) throws(WASIErrno) -> any WASIFile {
        let target = try child(name)
        guard target.kind == .directory else { throw target.kind == .symbolicLink ? .loop : .notDirectory }
        return MemoryFile(node: target, system: system)
    }

    public func openFile(_ name: String, create: Bool, exclusive: Bool, truncate: Bool,
                         read: Bool, write: Bool) throws(WASIErrno) -> any WASIFile {
        let directory = try directoryNode()
        if let existing = directory.children[name] {
            if create && exclusive { throw .exists }
            switch existing.kind {
            case .symbolicLink: throw .loop
            case .directory: throw .isDirectory
            case .regularFile: break
            }
            if truncate && !existing.data.isEmpty {
                existing.data = []
                touch(existing)
            }
            return MemoryFile(node: existing, system: system)
        }
        guard create else { throw .noEntry }
        let created = MemoryNode(kind: .regularFile, inode: system.takeInode(), time: system.now)
        directory.children[name] = created
        touch(directory)
        return MemoryFile(node: created, system: system)
    }

    public func createDirectory(_ name: String) throws(WASIErrno) {
        let directory = try directoryNode()
        guard directory.children[name] == nil else { throw .exists }
        directory.children[name] = MemoryNode(kind: .directory, inode: system.takeInode(), time: system.now)
        touch(directory)
    }

    public func removeDirectory(_ name: String) throws(WASIErrno) {
        let directory = try directoryNode()
        let target = try child(name)
        guard target.kind == .directory else { throw .notDirectory }
        guard target.children.isEmpty else { throw .notEmpty }
        directory.children[name] = nil
        touch(directory)
    }

    public func unlinkFile(_ name: String) throws(WASIErrno) {
        let directory = try directoryNode()
        let target = try child(name)
        guard target.kind != .directory else { throw .isDirectory }
        directory.children[name] = nil
        target.linkCount = target.linkCount > 0 ? target.linkCount - 1 : 0
        target.statusChangeTime = system.now
        touch(directory)
    }

    public func readLink(_ name: String) throws(WASIErrno) -> [UInt8] {
        let target = try child(name)
        guard target.kind == .symbolicLink else { throw .invalid }
        return target.data
    }

    public func createSymlink(_ name: String, target: [UInt8]) throws(WASIErrno) {
        let directory = try directoryNode()
        guard directory.children[name] == nil else { throw .exists }
        let link = MemoryNode(kind: .symbolicLink, inode: system.takeInode(), time: system.now)
        link.data = target
        directory.children[name] = link
        touch(directory)
    }

    private func sameSystemDirectory(_ other: any WASIFile) throws(WASIErrno) -> MemoryNode {
        guard let other = other as? MemoryFile, other.system === system else { throw .crossDevice }
        return try other.directoryNode()
    }

    public func link(_ name: String, to directory: any WASIFile, as newName: String) throws(WASIErrno) {
        let destination = try sameSystemDirectory(directory)
        let source = try child(name)
        guard source.kind != .directory else { throw .permission }
        guard destination.children[newName] == nil else { throw .exists }
        destination.children[newName] = source
        source.linkCount += 1
        source.statusChangeTime = system.now
        touch(destination)
    }

    public func rename(_ name: String, to directory: any WASIFile, as newName: String) throws(WASIErrno) {
        let sourceDirectory = try directoryNode()
        let destination = try sameSystemDirectory(directory)
        let source = try child(name)
        if let existing = destination.children[newName] {
            if existing === source { return }
            if source.kind == .directory {
                guard existing.kind == .directory else { throw .notDirectory }
                guard existing.children.isEmpty else { throw .notEmpty }
            } else if existing.kind == .directory {
                throw .isDirectory
            }
        }
        if source.kind == .directory && source.contains(destination) { throw .invalid }
        if let replaced = destination.children[newName], replaced.kind != .directory {
            replaced.linkCount = replaced.linkCount > 0 ? replaced.linkCount - 1 : 0
        }
        sourceDirectory.children[name] = nil
        destination.children[newName] = source
        source.statusChangeTime = system.now
        touch(sourceDirectory)
        touch(destination)
    }

    public func setTimes(of name: String, access: UInt64?, modification: UInt64?) throws(WASIErrno) {
        MemoryFile.setTimes(try child(name), access: access, modification: modification, now: system.now)
    }
}
