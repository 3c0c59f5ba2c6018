import Ext2FileSystem
import Foundation

/// Images made, checked and inspected by Debian's e2fsprogs: the reference for the on-disk format.
enum E2fsprogs {
    static let directories = ["/usr/sbin", "/sbin", "/usr/bin"]

    static func path(_ tool: String) -> String? {
        directories.map { $0 + "/" + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether the tools are here; as root (CI) a missing package is installed first.
    static let available: Bool = {
        if path("mke2fs") == nil, getuid() == 0 {
            _ = run("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "e2fsprogs"])
        }
        return ["mke2fs", "e2fsck", "debugfs"].allSatisfy { path($0) != nil }
    }()

    /// Runs a tool: its status and standard output (standard error too unless `quiet`; debugfs
    /// prints its banner there).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], quiet: Bool = false) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = quiet ? FileHandle.nullDevice : pipe
        do { try process.run() } catch { return (-1, "cannot run \(executable): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func tool(_ name: String, _ arguments: [String], quiet: Bool = false) -> (status: Int32, output: String) {
        run(path(name)!, arguments, quiet: quiet)
    }
}

/// A scratch image file, removed when the value goes.
final class Image {
    let path: String

    /// `mke2fs -t ext2` with `blockSize` over `kibibytes` KiB (extra options appended).
    init(kibibytes: Int, blockSize: Int, options: [String] = []) throws {
        path = NSTemporaryDirectory() + "ext2-test-" + UUID().uuidString + ".img"
        let result = E2fsprogs.tool("mke2fs", ["-q", "-F", "-t", "ext2", "-b", String(blockSize)] + options + [path, String(kibibytes) + "k"])
        guard result.status == 0 else { throw ImageError.tool("mke2fs: " + result.output) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var bytes: [UInt8] {
        get { [UInt8](FileManager.default.contents(atPath: path) ?? Data()) }
        set { _ = FileManager.default.createFile(atPath: path, contents: Data(newValue)) }
    }

    func mount() throws -> Ext2FileSystem<MemoryBlockDevice> {
        try Ext2FileSystem(mounting: MemoryBlockDevice(bytes: bytes))
    }

    /// Syncs `fileSystem` and writes its device back to the file.
    func save(_ fileSystem: inout Ext2FileSystem<MemoryBlockDevice>) throws {
        try fileSystem.sync()
        bytes = fileSystem.device.bytes
    }

    /// `e2fsck -fn`: its exit status (0: clean) and report.
    func check() -> (status: Int32, output: String) { E2fsprogs.tool("e2fsck", ["-fn", path]) }

    /// `debugfs -R REQUEST`'s output (read-only unless `writable`).
    func debugfs(_ request: String, writable: Bool = false) -> String {
        E2fsprogs.tool("debugfs", (writable ? ["-w"] : []) + ["-R", request, path], quiet: true).output
    }

    /// A file's bytes as debugfs reads them (`dump` to a scratch file).
    func contents(_ path: String) -> [UInt8] {
        let out = NSTemporaryDirectory() + "ext2-dump-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = debugfs("dump " + path + " " + out)
        return [UInt8](FileManager.default.contents(atPath: out) ?? Data())
    }
}

enum ImageError: Error { case tool(String) }

/// Deterministic bytes (a different pattern per seed) that make misplaced blocks visible.
func pattern(_ count: Int, seed: UInt32) -> [UInt8] {
    var state = seed &* 2_654_435_761 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        return UInt8(truncatingIfNeeded: state)
    }
}
