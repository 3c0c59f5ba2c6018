import Foundation
import HostedPlatform
import Testing
import WasmRuntime
@testable import WASIPreview1

@Test func moduleNameIsPreview1() {
    #expect(WASIPreview1.moduleName == "wasi_snapshot_preview1")
}

// MARK: Helpers

/// A context over an in-memory file system preopened as fd 3, with 64 KiB of guest memory.
final class Fixture {
    let system: MemoryFileSystem
    let context: WASIContext
    let stdout = WASIBufferStream()
    let bytes: UnsafeMutableRawPointer
    let memory: GuestMemory
    static let size = 65536

    init(arguments: [String] = ["prog"], environment: [String] = []) {
        let clock = HostClock()
        system = MemoryFileSystem(clock: clock)
        context = WASIContext(arguments: arguments, environment: environment, stdin: WASIBufferStream(),
                              stdout: stdout, stderr: WASIBufferStream(), clock: clock, random: HostRandom())
        context.addPreopen(system.rootDirectory(), guestPath: "/sandbox")
        bytes = .allocate(byteCount: Fixture.size, alignment: 16)
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: Fixture.size)
        memory = GuestMemory(base: bytes, size: UInt64(Fixture.size))
    }

    deinit { bytes.deallocate() }

    /// Calls the preview 1 function `name` with i32/i64 arguments; returns its errno.
    func call(_ name: String, _ arguments: [Value]) -> WASIErrno {
        guard let function = WASIContext.functions.first(where: { $0.name == name }) else { return .noSys }
        do throws(WASIErrno) {
            try function.body(context, memory, WASIArguments(values: arguments))
            return .success
        } catch {
            return error
        }
    }

    /// Puts `text` at `address`; returns (address, length) as values.
    func string(_ text: String, at address: UInt32) -> [Value] {
        try? memory.write(address, Array(text.utf8))
        return [.i32(address), .i32(UInt32(text.utf8.count))]
    }

    func load32(_ address: UInt32) -> UInt32 { (try? memory.load32(address)) ?? 0 }
    func load64(_ address: UInt32) -> UInt64 { (try? memory.load64(address)) ?? 0 }

    /// `path_open` relative to fd 3; the new fd or the errno.
    func open(_ path: String, oflags: UInt32 = 0, rights: UInt64 = WASIRights.all, follow: Bool = false,
              fdflags: UInt32 = 0) -> Result<UInt32, WASIErrno> {
        let errno = call("path_open", [.i32(3), .i32(follow ? 1 : 0)] + string(path, at: 1024)
            + [.i32(oflags), .i64(rights), .i64(rights), .i32(fdflags), .i32(2000)])
        return errno == .success ? .success(load32(2000)) : .failure(errno)
    }

    func write(fd: UInt32, _ text: String) -> WASIErrno {
        _ = string(text, at: 4096)
        try? memory.store32(3000, 4096)
        try? memory.store32(3004, UInt32(text.utf8.count))
        return call("fd_write", [.i32(fd), .i32(3000), .i32(1), .i32(3008)])
    }

    func read(fd: UInt32, count: UInt32) -> String? {
        try? memory.store32(3000, 8192)
        try? memory.store32(3004, count)
        guard call("fd_read", [.i32(fd), .i32(3000), .i32(1), .i32(3008)]) == .success else { return nil }
        let read = load32(3008)
        return (try? memory.bytes(8192, read)).map { String(decoding: $0, as: UTF8.self) }
    }
}

// MARK: Layouts and errno values

@Test func errnoValuesFollowThePreview1Witx() {
    #expect(WASIErrno.success.rawValue == 0)
    #expect(WASIErrno.access.rawValue == 2)
    #expect(WASIErrno.badFileDescriptor.rawValue == 8)
    #expect(WASIErrno.exists.rawValue == 20)
    #expect(WASIErrno.fault.rawValue == 21)
    #expect(WASIErrno.invalid.rawValue == 28)
    #expect(WASIErrno.isDirectory.rawValue == 31)
    #expect(WASIErrno.loop.rawValue == 32)
    #expect(WASIErrno.noEntry.rawValue == 44)
    #expect(WASIErrno.noSys.rawValue == 52)
    #expect(WASIErrno.notDirectory.rawValue == 54)
    #expect(WASIErrno.notEmpty.rawValue == 55)
    #expect(WASIErrno.notSocket.rawValue == 57)
    #expect(WASIErrno.notSupported.rawValue == 58)
    #expect(WASIErrno.permission.rawValue == 63)
    #expect(WASIErrno.invalidSeek.rawValue == 70)
    #expect(WASIErrno.notCapable.rawValue == 76)
    #expect(WASIRights.sockAccept == 1 << 29)
    #expect(WASIRights.fdReaddir == 1 << 14)
}

@Test func fdstatAndFilestatLayouts() throws {
    let fixture = Fixture()
    #expect(fixture.call("fd_fdstat_get", [.i32(3), .i32(100)]) == .success)
    #expect(try fixture.memory.load8(100) == WASIFiletype.directory.rawValue)
    #expect(try fixture.memory.load16(102) == 0)
    #expect(fixture.load64(108) == WASIRights.directory)
    #expect(fixture.load64(116) == WASIRights.all)

    fixture.system.addFile("f.txt", contents: Array("hello".utf8))
    #expect(fixture.call("path_filestat_get", [.i32(3), .i32(0)] + fixture.string("f.txt", at: 500)
        + [.i32(200)]) == .success)
    #expect(fixture.load64(200) == MemoryFileSystem.device)
    #expect(try fixture.memory.load8(216) == WASIFiletype.regularFile.rawValue)
    #expect(fixture.load64(224) == 1)  // nlink
    #expect(fixture.load64(232) == 5)  // size

    #expect(fixture.call("fd_prestat_get", [.i32(3), .i32(300)]) == .success)
    #expect(try fixture.memory.load8(300) == 0)
    #expect(fixture.load32(304) == UInt32("/sandbox".utf8.count))
    #expect(fixture.call("fd_prestat_dir_name", [.i32(3), .i32(400), .i32(3)]) == .nameTooLong)
    #expect(fixture.call("fd_prestat_get", [.i32(1), .i32(300)]) == .badFileDescriptor)
}

@Test func argumentsAndEnvironment() throws {
    let fixture = Fixture(arguments: ["prog", "a b"], environment: ["K=V"])
    #expect(fixture.call("args_sizes_get", [.i32(0), .i32(4)]) == .success)
    #expect(fixture.load32(0) == 2)
    #expect(fixture.load32(4) == 9)
    #expect(fixture.call("args_get", [.i32(100), .i32(200)]) == .success)
    #expect(fixture.load32(100) == 200)
    #expect(fixture.load32(104) == 205)
    #expect(try fixture.memory.bytes(200, 9) == Array("prog\0a b\0".utf8))
    #expect(fixture.call("environ_get", [.i32(100), .i32(200)]) == .success)
    #expect(try fixture.memory.bytes(200, 4) == Array("K=V\0".utf8))
}

// MARK: Bad pointers

@Test func badPointersReturnFault() {
    let fixture = Fixture()
    let beyond = UInt32(Fixture.size)
    #expect(fixture.call("fd_fdstat_get", [.i32(3), .i32(beyond - 8)]) == .fault)
    #expect(fixture.call("args_sizes_get", [.i32(UInt32.max - 1), .i32(0)]) == .fault)
    #expect(fixture.call("random_get", [.i32(beyond - 4), .i32(8)]) == .fault)
    #expect(fixture.call("clock_time_get", [.i32(1), .i64(0), .i32(beyond)]) == .fault)
    // An iovec pointing outside memory, and an iovec array longer than memory.
    try? fixture.memory.store32(0, beyond - 2)
    try? fixture.memory.store32(4, 4)
    #expect(fixture.call("fd_write", [.i32(1), .i32(0), .i32(1), .i32(16)]) == .fault)
    #expect(fixture.call("fd_write", [.i32(1), .i32(0), .i32(UInt32.max), .i32(16)]) == .fault)
    #expect(fixture.call("path_open", [.i32(3), .i32(0), .i32(beyond - 1), .i32(10), .i32(0), .i64(0), .i64(0),
                                       .i32(0), .i32(0)]) == .fault)
    #expect(fixture.call("poll_oneoff", [.i32(beyond - 10), .i32(0), .i32(1), .i32(0)]) == .fault)
    #expect(fixture.stdout.output.isEmpty)
}

// MARK: Paths

@Test func pathsCannotEscapeThePreopen() {
    let fixture = Fixture()
    fixture.system.addDirectory("dir/nested")
    fixture.system.addFile("dir/nested/file", contents: [])
    fixture.system.addSymlink("dir/out", target: "../../outside")
    fixture.system.addSymlink("dir/absolute", target: "/etc/passwd")
    #expect(fixture.open("/dir/nested/file") == .failure(.notCapable))
    #expect(fixture.open("..") == .failure(.notCapable))
    #expect(fixture.open("dir/../../x") == .failure(.notCapable))
    #expect(fixture.open("dir/out", follow: true) == .failure(.notCapable))
    #expect(fixture.open("dir/absolute", follow: true) == .failure(.notCapable))
    #expect(fixture.open("dir/out") == .failure(.loop))
    if case .failure = fixture.open("dir/.//nested/../../dir/nested///./file", rights: WASIRights.fdRead) {
        Issue.record("a path with .. inside the preopen must open")
    }
    #expect(fixture.open("dir/nested/file/") == .failure(.notDirectory))
    #expect(fixture.open("dir/nested/file\0") == .failure(.invalid))
}

@Test func symlinkLoopsEndWithELOOP() {
    let fixture = Fixture()
    fixture.system.addSymlink("a", target: "b")
    fixture.system.addSymlink("b", target: "a")
    #expect(fixture.open("a", follow: true) == .failure(.loop))
    #expect(fixture.open("a/x") == .failure(.loop))
}

// MARK: In-memory file system

@Test func memoryFileSystemReadWriteSeek() throws {
    let fixture = Fixture()
    let fd = try fixture.open("file", oflags: UInt32(WASIOpenFlags.create)).get()
    #expect(fixture.write(fd: fd, "hello world") == .success)
    #expect(fixture.load32(3008) == 11)
    #expect(fixture.call("fd_seek", [.i32(fd), .i64(6), .i32(0), .i32(500)]) == .success)
    #expect(fixture.read(fd: fd, count: 100) == "world")
    #expect(fixture.call("fd_tell", [.i32(fd), .i32(500)]) == .success)
    #expect(fixture.load64(500) == 11)
    #expect(fixture.call("fd_seek", [.i32(fd), .i64(UInt64(bitPattern: -20)), .i32(1), .i32(500)]) == .invalid)
    #expect(fixture.call("fd_filestat_set_size", [.i32(fd), .i64(5)]) == .success)
    #expect(fixture.call("fd_seek", [.i32(fd), .i64(0), .i32(0), .i32(500)]) == .success)
    #expect(fixture.read(fd: fd, count: 100) == "hello")
    // Append mode writes at the end whatever the offset.
    let appender = try fixture.open("file", rights: WASIRights.fdWrite | WASIRights.fdSeek,
                                    fdflags: UInt32(WASIFdFlags.append)).get()
    #expect(fixture.write(fd: appender, "!") == .success)
    #expect(fixture.system.root.children["file"]?.data == Array("hello!".utf8))
    #expect(fixture.call("fd_close", [.i32(appender)]) == .success)
    #expect(fixture.call("fd_close", [.i32(appender)]) == .badFileDescriptor)
}

@Test func memoryFileSystemDirectoryOperations() throws {
    let fixture = Fixture()
    #expect(fixture.call("path_create_directory", [.i32(3)] + fixture.string("d", at: 600)) == .success)
    #expect(fixture.call("path_create_directory", [.i32(3)] + fixture.string("d", at: 600)) == .exists)
    _ = try fixture.open("d/f", oflags: UInt32(WASIOpenFlags.create)).get()
    #expect(fixture.call("path_remove_directory", [.i32(3)] + fixture.string("d", at: 600)) == .notEmpty)
    #expect(fixture.call("path_rename", [.i32(3)] + fixture.string("d/f", at: 600) + [.i32(3)]
        + fixture.string("g", at: 700)) == .success)
    #expect(fixture.call("path_link", [.i32(3), .i32(0)] + fixture.string("g", at: 600) + [.i32(3)]
        + fixture.string("d/h", at: 700)) == .success)
    #expect(fixture.system.root.children["g"]?.linkCount == 2)
    #expect(fixture.call("path_symlink", fixture.string("g", at: 600) + [.i32(3)]
        + fixture.string("s", at: 700)) == .success)
    #expect(fixture.call("path_readlink", [.i32(3)] + fixture.string("s", at: 600) + [.i32(800), .i32(10),
                                                                                        .i32(900)]) == .success)
    #expect(fixture.load32(900) == 1)
    #expect(fixture.call("path_unlink_file", [.i32(3)] + fixture.string("d", at: 600)) == .isDirectory)
    #expect(fixture.call("path_unlink_file", [.i32(3)] + fixture.string("d/h", at: 600)) == .success)
    #expect(fixture.call("path_remove_directory", [.i32(3)] + fixture.string("d", at: 600)) == .success)
    #expect(fixture.call("path_rename", [.i32(3)] + fixture.string(".", at: 600) + [.i32(3)]
        + fixture.string("x", at: 700)) == .busy)

    // fd_readdir lists ., .., g, s with dirent headers.
    #expect(fixture.call("fd_readdir", [.i32(3), .i32(10000), .i32(1000), .i64(0), .i32(900)]) == .success)
    let used = fixture.load32(900)
    var names: [String] = []
    var offset: UInt32 = 10000
    while offset < 10000 + used {
        let length = fixture.load32(offset + 16)
        names.append(String(decoding: try fixture.memory.bytes(offset + 24, length), as: UTF8.self))
        offset += 24 + length
    }
    #expect(names == [".", "..", "g", "s"])
}

@Test func rightsCanOnlyBeDropped() throws {
    let fixture = Fixture()
    let fd = try fixture.open("f", oflags: UInt32(WASIOpenFlags.create),
                              rights: WASIRights.fdRead | WASIRights.fdWrite).get()
    #expect(fixture.call("fd_fdstat_set_rights", [.i32(fd), .i64(WASIRights.fdRead), .i64(0)]) == .success)
    #expect(fixture.write(fd: fd, "x") == .notCapable)
    #expect(fixture.call("fd_fdstat_set_rights", [.i32(fd), .i64(WASIRights.fdRead | WASIRights.fdWrite),
                                                  .i64(0)]) == .notCapable)
}

@Test func socketsAndSignals() {
    let fixture = Fixture()
    #expect(fixture.call("sock_shutdown", [.i32(1), .i32(0)]) == .notSocket)
    #expect(fixture.call("sock_shutdown", [.i32(99), .i32(0)]) == .badFileDescriptor)
    #expect(fixture.call("proc_raise", [.i32(9)]) == .noSys)
    #expect(fixture.call("sched_yield", []) == .success)
}

@Test func pollOneoffClockTimesOut() {
    let fixture = Fixture()
    // One relative monotonic clock subscription of 1 ms.
    try? fixture.memory.store64(0, 42)
    try? fixture.memory.store8(8, 0)
    try? fixture.memory.store32(16, 1)
    try? fixture.memory.store64(24, 1_000_000)
    #expect(fixture.call("poll_oneoff", [.i32(0), .i32(100), .i32(1), .i32(200)]) == .success)
    #expect(fixture.load32(200) == 1)
    #expect(fixture.load64(100) == 42)
}

// MARK: Hosted file system

@Test func hostedPathsCannotEscape() throws {
    let root = NSTemporaryDirectory() + "apus-wasi-unit-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: root + "/inside", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    try FileManager.default.createSymbolicLink(atPath: root + "/inside/up", withDestinationPath: "..")
    try FileManager.default.createSymbolicLink(atPath: root + "/inside/abs", withDestinationPath: "/etc")
    let context = try #require(try? HostedWASI.makeContext(arguments: [], environment: [],
                                                           preopens: [(root + "/inside", "sandbox")]).get())
    let directory = try context.descriptor(3).file
    #expect(throws: WASIErrno.notCapable) { try context.resolve(directory, Array("up/x".utf8), followFinal: false) }
    #expect(throws: WASIErrno.notCapable) { try context.resolve(directory, Array("abs/passwd".utf8), followFinal: false) }
    #expect(throws: WASIErrno.notCapable) { try context.resolve(directory, Array("/etc".utf8), followFinal: false) }
    #expect(throws: WASIErrno.notDirectory) { try directory.openDirectory("up") }
}

// MARK: Running programs

/// The official test suite's AssemblyScript programs, when the suite is present.
let suiteDirectory = "/work/shared/testsuites/wasi/tests/assemblyscript/testsuite/wasm32-wasip1/"

func runSuiteProgram(_ name: String, stdout: WASIBufferStream) throws -> UInt32? {
    guard let data = FileManager.default.contents(atPath: suiteDirectory + name) else { return nil }
    let engine = Engine(platform: HostedPlatform.shared)
    let module = try WasmModule(engine: engine, bytes: [UInt8](data))
    let store = Store(engine: engine)
    let linker = Linker()
    let context = WASIContext(arguments: [name], environment: [], stdin: WASIBufferStream(), stdout: stdout,
                              stderr: WASIBufferStream(), clock: HostClock(), random: HostRandom())
    context.define(in: linker, store: store)
    let instance = try linker.instantiate(store, module)
    #expect(context.bind(instance))
    return try context.runCommand(instance)
}

@Test func procExitUnwindsWithItsCode() throws {
    let stdout = WASIBufferStream()
    guard let code = try runSuiteProgram("proc_exit-failure.wasm", stdout: stdout) else { return }
    #expect(code == 33)
}

@Test func programWritesToStdout() throws {
    let stdout = WASIBufferStream()
    guard let code = try runSuiteProgram("fd_write-to-stdout.wasm", stdout: stdout) else { return }
    #expect(code == 0)
    #expect(stdout.outputText == "hello")
}

// MARK: Pipes and sharing with other programs

@Test func pipeWithoutMonitorBuffersAndEndsWhenTheWriterGoes() throws {
    var ends: (reader: any WASIFile, writer: (any WASIFile)?) = WASIPipe.makeEnds(monitor: nil, capacity: 4)
    let text: [UInt8] = Array("more than the capacity".utf8)
    // Hosted nothing can wait: the buffer grows past the capacity.
    #expect(try text.withUnsafeBytes { try ends.writer!.write($0, at: nil) } == text.count)
    var buffer = [UInt8](repeating: 0, count: 64)
    let first = try buffer.withUnsafeMutableBytes { try ends.reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<5]), at: nil) }
    #expect(first == 5 && Array(buffer[0..<5]) == Array("more ".utf8))
    let rest = try buffer.withUnsafeMutableBytes { try ends.reader.read(into: $0, at: nil) }
    #expect(Array(buffer[0..<rest]) == Array(text[5...]))
    ends.writer = nil  // the last reference: the write end closes
    #expect(try buffer.withUnsafeMutableBytes { try ends.reader.read(into: $0, at: nil) } == 0)
    #expect(ends.reader.isReady(forWriting: false))
}

@Test func pipeWriteAfterTheReaderIsGoneIsABrokenPipe() throws {
    var ends: (reader: (any WASIFile)?, writer: any WASIFile) = WASIPipe.makeEnds(monitor: nil)
    ends.reader = nil
    #expect(throws: WASIErrno.brokenPipe) { try [UInt8(1)].withUnsafeBytes { try ends.writer.write($0, at: nil) } }
    #expect(throws: WASIErrno.badFileDescriptor) { try [UInt8(1)].withUnsafeBytes { try ends.writer.read(into: UnsafeMutableRawBufferPointer(mutating: $0), at: nil) } }
}

@Test func readFileAtPathUsesTheLongestPreopenAndItsRights() throws {
    let clock = HostClock()
    let root = MemoryFileSystem(clock: clock), programs = MemoryFileSystem(clock: clock)
    root.addFile("u/x.wasm", contents: [1, 2, 3])
    root.addDirectory("d")
    programs.addFile("ls.wasm", contents: [9])
    let context = WASIContext(arguments: [], environment: [], stdin: WASIBufferStream(), stdout: WASIBufferStream(),
                              stderr: WASIBufferStream(), clock: clock, random: HostRandom())
    context.addPreopen(root.rootDirectory(), guestPath: "/")
    context.addPreopen(programs.rootDirectory(), guestPath: "/bin", readOnly: true)
    #expect(try context.readFile(atPath: "/u/x.wasm") == [1, 2, 3])
    #expect(try context.readFile(atPath: "/bin/ls.wasm") == [9])
    #expect(throws: WASIErrno.noEntry) { try context.readFile(atPath: "/bin/nope.wasm") }
    #expect(throws: WASIErrno.isDirectory) { try context.readFile(atPath: "/d") }
    #expect(throws: WASIErrno.notCapable) { try context.readFile(atPath: "/u/../../etc") }
}

@Test func aReadOnlyPreopenRefusesOpeningForWriting() {
    let fixture = Fixture()
    let readOnly = MemoryFileSystem(clock: HostClock())
    readOnly.addFile("f", contents: [1])
    let fd = fixture.context.addPreopen(readOnly.rootDirectory(), guestPath: "/ro", readOnly: true)
    fixture.bytes.storeBytes(of: UInt8(ascii: "f"), toByteOffset: 100, as: UInt8.self)
    // path_open(fd, lookup 0, "f", oflags 0, rights fd_write, inheriting 0, fdflags 0, result at 200)
    #expect(fixture.call("path_open", [.i32(fd), .i32(0), .i32(100), .i32(1), .i32(0), .i64(WASIRights.fdWrite),
                                       .i64(0), .i32(0), .i32(200)]) == .notCapable)
    #expect(fixture.call("path_open", [.i32(fd), .i32(0), .i32(100), .i32(1), .i32(0), .i64(WASIRights.fdRead),
                                       .i64(0), .i32(0), .i32(200)]) == .success)
}
