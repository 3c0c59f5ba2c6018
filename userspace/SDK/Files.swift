// Files and directories by absolute or relative path. WASI has no current directory and no
// global root: the SDK keeps the current directory in the environment variable PWD (the shell
// sets it for the programs it starts) and maps an absolute path to the preopened directory with
// the longest matching prefix.

/// What a directory entry or path is.
enum FileKind: Equatable {
    case unknown, directory, regularFile, symbolicLink, device

    init(wasiFiletype: UInt8) {
        switch wasiFiletype {
        case 3: self = .directory
        case 4: self = .regularFile
        case 7: self = .symbolicLink
        case 1, 2: self = .device
        default: self = .unknown
        }
    }
}

/// One entry of a directory listing.
struct DirectoryEntry {
    var name: String
    var kind: FileKind
}

/// `stat` of a path: its kind and size in bytes.
struct FileInfo {
    var kind: FileKind
    var size: UInt64
}

/// The preopened directories (descriptor, guest path), found once.
enum Preopens {
    nonisolated(unsafe) private static var cached: [(fd: Int32, path: String)]?

    static var all: [(fd: Int32, path: String)] {
        if let cached { return cached }
        var found: [(fd: Int32, path: String)] = []
        var fd: Int32 = 3
        while true {
            var prestat: (UInt32, UInt32) = (0, 0)  // tag (0 = dir), name length
            guard withUnsafeMutablePointer(to: &prestat, { wasi_fd_prestat_get(fd, UnsafeMutableRawPointer($0)) }) == 0
            else { break }
            if prestat.0 == 0 {
                var name = [UInt8](repeating: 0, count: Int(prestat.1))
                if name.withUnsafeMutableBufferPointer({ wasi_fd_prestat_dir_name(fd, $0.baseAddress!, prestat.1) }) == 0 {
                    found.append((fd, String(decoding: name, as: UTF8.self)))
                }
            }
            fd += 1
        }
        cached = found
        return found
    }
}

/// The current directory: `PWD`, or `/`.
func currentDirectory() -> String {
    if let pwd = environmentValue("PWD"), pwd.hasPrefix("/") { return pwd }
    return "/"
}

/// `path` made absolute (against the current directory) with `.`, `..` and repeated `/` removed.
func absolutePath(_ path: String) -> String {
    let full = path.hasPrefix("/") ? path : currentDirectory() + "/" + path
    var components: [String] = []
    for part in full.fields(separator: UInt8(ascii: "/")) {
        if part == "." { continue }
        if part == ".." {
            if !components.isEmpty { components.removeLast() }
            continue
        }
        components.append(part)
    }
    var result = ""
    for component in components { result += "/" + component }
    return result.isEmpty ? "/" : result
}

/// The preopened directory and relative path (never empty: `.`) that `path` names.
func resolvePath(_ path: String) -> (fd: Int32, relative: [UInt8])? {
    let absolute = absolutePath(path)
    var best: (fd: Int32, relative: [UInt8], length: Int)?
    for preopen in Preopens.all {
        var prefix = absolutePath(preopen.path)
        if prefix == "/" { prefix = "" }
        let matches = absolute == prefix || absolute.hasPrefix(prefix + "/") || prefix.isEmpty
        guard matches, best == nil || prefix.utf8.count > best!.length else { continue }
        var relative = Array(absolute.utf8.dropFirst(prefix.utf8.count))
        while relative.first == UInt8(ascii: "/") { relative.removeFirst() }
        if relative.isEmpty { relative = [UInt8(ascii: ".")] }
        best = (preopen.fd, relative, prefix.utf8.count)
    }
    guard let best else { return nil }
    return (best.fd, best.relative)
}

/// Calls `body` with the preopen and relative path for `path`; `.notCapable` if none.
private func withResolved<T>(_ path: String, _ body: (Int32, UnsafePointer<UInt8>, UInt32) -> Result<T, Errno>)
    -> Result<T, Errno> {
    guard let (fd, relative) = resolvePath(path) else { return .failure(.notCapable) }
    return relative.withUnsafeBufferPointer { body(fd, $0.baseAddress!, UInt32($0.count)) }
}

private let readRights: UInt64 = (1 << 1) | (1 << 2) | (1 << 5) | (1 << 21)
private let writeRights: UInt64 = (1 << 6) | (1 << 21) | (1 << 22)
private let directoryRights: UInt64 = (1 << 14) | (1 << 21)
private let allRights: UInt64 = (1 << 30) - 1

/// Opens `path`: `openFlags` (1 create, 2 directory, 4 exclusive, 8 truncate), `fdFlags` (1 append).
func openPath(_ path: String, openFlags: UInt32 = 0, rights: UInt64, fdFlags: UInt32 = 0) -> Result<Int32, Errno> {
    withResolved(path) { directory, relative, length in
        var fd: Int32 = -1
        let status = wasi_path_open(directory, 1, relative, length, openFlags, rights, allRights, fdFlags, &fd)
        return status == 0 ? .success(fd) : .failure(Errno(status))
    }
}

/// Opens the file `path` to read it.
func openForReading(_ path: String) -> Result<Int32, Errno> { openPath(path, rights: readRights) }

/// Opens (creating) the file `path` to write it: from the start, truncated, or appending.
func openForWriting(_ path: String, append: Bool = false) -> Result<Int32, Errno> {
    openPath(path, openFlags: append ? 1 : 1 | 8, rights: writeRights, fdFlags: append ? 1 : 0)
}

/// Reads from `fd` until the end.
func readAll(fd: Int32) -> Result<[UInt8], Errno> {
    var contents: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        var count: UInt32 = 0
        let status: UInt16 = chunk.withUnsafeMutableBytes { bytes in
            var vector: (UInt32, UInt32) = (UInt32(UInt(bitPattern: bytes.baseAddress)), UInt32(bytes.count))
            return withUnsafePointer(to: &vector) { wasi_fd_read(fd, UnsafeRawPointer($0), 1, &count) }
        }
        if status != 0 { return .failure(Errno(status)) }
        if count == 0 { return .success(contents) }
        contents.append(contentsOf: chunk[0..<Int(count)])
    }
}

/// The whole contents of the file at `path`.
func readFile(_ path: String) -> Result<[UInt8], Errno> {
    switch openPath(path, rights: readRights) {
    case .failure(let error): return .failure(error)
    case .success(let fd):
        defer { _ = wasi_fd_close(fd) }
        return readAll(fd: fd)
    }
}

/// Writes `bytes` to the file at `path` (created if missing; replaced, or appended to).
func writeFile<C: Collection>(_ path: String, _ bytes: C, append: Bool = false) -> Errno? where C.Element == UInt8 {
    let flags: UInt32 = append ? 1 : 1 | 8
    switch openPath(path, openFlags: flags, rights: writeRights, fdFlags: append ? 1 : 0) {
    case .failure(let error): return error
    case .success(let fd):
        writeBytes(bytes, to: fd)
        return Errno.check(wasi_fd_close(fd))
    }
}

/// The entries of the directory at `path` (without `.` and `..`), in the system's order.
func listDirectory(_ path: String) -> Result<[DirectoryEntry], Errno> {
    let fd: Int32
    switch openPath(path, openFlags: 2, rights: directoryRights) {
    case .failure(let error): return .failure(error)
    case .success(let opened): fd = opened
    }
    defer { _ = wasi_fd_close(fd) }
    var entries: [DirectoryEntry] = []
    var cookie: UInt64 = 0
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        var used: UInt32 = 0
        let status = buffer.withUnsafeMutableBytes { wasi_fd_readdir(fd, $0.baseAddress!, UInt32($0.count), cookie, &used) }
        if status != 0 { return .failure(Errno(status)) }
        var offset = 0
        var progressed = false
        // dirent: next u64, inode u64, name length u32, type u8, 3 padding bytes; then the name.
        while offset + 24 <= Int(used) {
            let next = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
            let length = Int(buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 16, as: UInt32.self) })
            let type = buffer[offset + 20]
            guard offset + 24 + length <= Int(used) else { break }  // truncated: read again from cookie
            let name = String(decoding: buffer[(offset + 24)..<(offset + 24 + length)], as: UTF8.self)
            if name != "." && name != ".." { entries.append(DirectoryEntry(name: name, kind: FileKind(wasiFiletype: type))) }
            cookie = next
            progressed = true
            offset += 24 + length
        }
        if Int(used) < buffer.count { return .success(entries) }
        if !progressed { buffer = [UInt8](repeating: 0, count: buffer.count * 2) }
    }
}

/// Kind and size of `path` (symbolic links are followed).
func fileInfo(_ path: String) -> Result<FileInfo, Errno> {
    withResolved(path) { fd, relative, length in
        // filestat: dev u64, ino u64, filetype u8 (at 16), nlink u64 (24), size u64 (32), 3 times; 64 bytes.
        var stat = [UInt8](repeating: 0, count: 64)
        let status = stat.withUnsafeMutableBytes { wasi_path_filestat_get(fd, 1, relative, length, $0.baseAddress!) }
        if status != 0 { return .failure(Errno(status)) }
        let size = stat.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 32, as: UInt64.self) }
        return .success(FileInfo(kind: FileKind(wasiFiletype: stat[16]), size: size))
    }
}

/// Creates the directory `path`.
func makeDirectory(_ path: String) -> Errno? {
    let result: Result<Void, Errno> = withResolved(path) { fd, relative, length in
        let status = wasi_path_create_directory(fd, relative, length)
        return status == 0 ? .success(()) : .failure(Errno(status))
    }
    if case .failure(let error) = result { return error }
    return nil
}

/// Removes the file (or, with `directory`, the empty directory) `path`.
func removePath(_ path: String, directory: Bool = false) -> Errno? {
    let result: Result<Void, Errno> = withResolved(path) { fd, relative, length in
        let status = directory ? wasi_path_remove_directory(fd, relative, length)
                               : wasi_path_unlink_file(fd, relative, length)
        return status == 0 ? .success(()) : .failure(Errno(status))
    }
    if case .failure(let error) = result { return error }
    return nil
}

/// Closes the descriptor `fd`.
func closeDescriptor(_ fd: Int32) { _ = wasi_fd_close(fd) }

/// Renames `path` to `newPath` (both in the same preopened directory), replacing what is there.
func renamePath(_ path: String, to newPath: String) -> Errno? {
    guard let (fd, relative) = resolvePath(path), let (newFd, newRelative) = resolvePath(newPath) else {
        return .notCapable
    }
    let status = relative.withUnsafeBufferPointer { r in
        newRelative.withUnsafeBufferPointer { n in
            wasi_path_rename(fd, r.baseAddress!, UInt32(r.count), newFd, n.baseAddress!, UInt32(n.count))
        }
    }
    return Errno.check(status)
}

/// Sets the access and modification times of `path` to now.
func touchPath(_ path: String) -> Errno? {
    let result: Result<Void, Errno> = withResolved(path) { fd, relative, length in
        let status = wasi_path_filestat_set_times(fd, 1, relative, length, 0, 0, 2 | 8)  // atim_now | mtim_now
        return status == 0 ? .success(()) : .failure(Errno(status))
    }
    if case .failure(let error) = result { return error }
    return nil
}

/// Reads up to `capacity` bytes from `fd`; empty at end of file.
func readChunk(fd: Int32, capacity: Int = 4096) -> Result<[UInt8], Errno> {
    var chunk = [UInt8](repeating: 0, count: capacity)
    var count: UInt32 = 0
    let status: UInt16 = chunk.withUnsafeMutableBytes { bytes in
        var vector: (UInt32, UInt32) = (UInt32(UInt(bitPattern: bytes.baseAddress)), UInt32(bytes.count))
        return withUnsafePointer(to: &vector) { wasi_fd_read(fd, UnsafeRawPointer($0), 1, &count) }
    }
    if status != 0 { return .failure(Errno(status)) }
    chunk.removeLast(capacity - Int(count))
    return .success(chunk)
}
