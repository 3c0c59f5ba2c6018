import WASIPreview1
import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// The host module `apus`: the process calls of docs/USERSPACE.md ("The `apus` import
/// module") with the same ABI as the hosted runner (`apus exec --programs`):
///
///     spawn(name, name_len, args, args_len, env, env_len) -> pid or -errno
///     wait(pid) -> status or -errno        kill(pid) -> errno        getpid() -> pid
///     ps(buf, len) -> length or -errno     meminfo(buf, len) -> length or -errno
///     uptime_ns() -> i64                   shutdown() -> errno       yield() -> 0
///     spawn_with_handles(…, handles, count) -> pid (the child starts with those channel ends)
///     spawn_stdio(…, stdio) -> pid (three descriptors of the caller: the child's 0, 1, 2)
///     spawn_error(buf, len) -> length (why the last spawn failed)   pipe(fds) -> errno
///     channel_create, channel_send, channel_recv, channel_try_recv, handle_close (docs/IPC.md)
///     device_open, device_read, device_write, device_wait, queue_setup, queue_submit,
///     queue_reap, dma_alloc, dma_read, dma_write (docs/DEVICES.md)
///
/// and four kernel-only calls used by the kernel's test programs:
///
///     print(address, length)     a line on the kernel log: "pid 7 (hello): text"
///     exit(code)                 ends the program with `code`
///     sleep(milliseconds)
///     memory_report()            logs free frames and heap counters (tests)
///
/// Addresses are offsets in the program's exported memory "memory". A buffer outside it makes
/// the call fail with EFAULT (21), except for `print`, which traps (test programs only). The
/// functions run in the kernel as host calls (system calls through a gate) with user access
/// open. A program killed while it is in one of them leaves it with an `interrupted` trap.
enum ApusHostModule {
  static let fault: UInt16 = 21
  static let child: UInt16 = 12

  static func define(in linker: Linker, store: Store, program: Program) {
    let i32 = ValueType.i32
    func function(_ name: StaticString, _ parameters: [ValueType], _ results: [ValueType], _ body: @escaping HostFunctionBody) {
      let text = String(decoding: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), as: UTF8.self)
      linker.defineFunction(store: store, module: "apus", name: text,
                            type: FunctionType(parameters: parameters, results: results)) {
        caller, arguments throws(Trap) -> [Value] in
        let results = try body(caller, arguments)
        try leaveIfKilled()
        return results
      }
    }
    func negative(_ errno: UInt16) -> [Value] { [.i32(UInt32(bitPattern: -Int32(errno)))] }

    /// spawn, and with `handles`: the channel ends (handles of the caller) the child starts
    /// with. The program is a name of the boot image or, with a `/`, the absolute path of a
    /// module file the caller can reach. `standardStreams`: the caller's descriptors that become
    /// the child's 0, 1, 2 (`inherited`, plain `spawn`: those the caller has open).
    func spawn(_ arguments: [Value], handles: [Handle], standardStreams: [UInt32] = [0, 1, 2],
               inherited: Bool = true) -> [Value] {
      guard let nameBytes = program.bytes(arguments, 0, 1), let argumentBytes = program.bytes(arguments, 2, 3),
            let environmentBytes = program.bytes(arguments, 4, 5)
      else { return negative(fault) }
      program.spawnError = []
      if program.readsConsole { Programs.lock.withLock { program.controlsJobs = true } }
      func refuse(_ errno: UInt16, _ detail: String = "") -> [Value] {
        program.spawnError = Array(detail.utf8)
        return negative(errno)
      }
      var objects: [KernelObject] = []
      for (index, handle) in handles.enumerated() {
        guard !handles[..<index].contains(handle) else { return refuse(28) }  // listed twice
        guard let object = try? program.handles.get(handle) else { return refuse(8) }  // EBADF
        guard object.isTransferable else { return refuse(28) }  // a device stays with its driver
        objects.append(object)
      }
      var streams: [WASIStream?] = []
      for fd in standardStreams {
        let stream = program.wasi?.stream(fd)
        if stream == nil && !inherited { return refuse(8) }
        streams.append(stream)
      }
      let name: TaskName
      var module: [UInt8]?
      if nameBytes.contains(0x2F) {  // "/": a path
        guard let wasi = program.wasi, let taskName = Programs.programName(fromPath: nameBytes) else { return refuse(44) }
        // The file system is shared: one WASI call at a time.
        WASILock.acquire()
        let read: Result<[UInt8], WASIErrno>
        do throws(WASIErrno) {
          read = .success(try wasi.readFile(atPath: String(decoding: nameBytes, as: UTF8.self)))
        } catch {
          read = .failure(error)
        }
        WASILock.release()
        switch read {
        case .success(let bytes): module = bytes
        case .failure(let error): return refuse(error.rawValue)
        }
        name = taskName
      } else {
        guard let programName = Programs.programName(nameBytes) else { return refuse(44) }
        name = programName
      }
      let arguments = nulSeparated(argumentBytes)
      let setup = ProgramSetup(arguments: arguments.isEmpty ? [String(decoding: nameBytes, as: UTF8.self)] : arguments)
      setup.environment = environmentBytes.isEmpty ? program.setup.environment : nulSeparated(environmentBytes)
      // The child gets the caller's streams (or those it names) and preopened directories.
      setup.stdin = program.setup.stdin
      setup.stdout = program.setup.stdout
      setup.stderr = program.setup.stderr
      setup.standardStreams = streams
      setup.preopens = program.setup.preopens
      setup.preopensRoot = program.setup.preopensRoot
      setup.inheritedObjects = objects
      switch Programs.spawn(named: name, module: module, parent: program.pid, setup: setup) {
      case .success(let child):
        // The ends now belong to the child (taken without closing them).
        for handle in handles { _ = try? program.handles.take(handle) }
        return [.i32(child.pid)]
      case .failure(let error):
        return refuse(error.errno, error.detail)
      }
    }

    function("spawn", [i32, i32, i32, i32, i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      spawn(arguments, handles: [])
    }

    function("spawn_stdio", [i32, i32, i32, i32, i32, i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      guard arguments.count == 7, case .i32(let pointer) = arguments[6] else { throw Trap(message: "apus.spawn_stdio") }
      guard let list = program.bytes([.i32(pointer), .i32(12)], 0, 1) else { return negative(fault) }
      var streams: [UInt32] = []
      for index in 0..<3 {
        var fd: UInt32 = 0
        for byte in 0..<4 { fd |= UInt32(list[index * 4 + byte]) << UInt32(byte * 8) }
        streams.append(fd)
      }
      return spawn(arguments, handles: [], standardStreams: streams, inherited: false)
    }

    function("spawn_error", [i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      program.report(program.spawnError, arguments)
    }

    function("pipe", [i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      guard case .i32(let address)? = arguments.first else { throw Trap(message: "apus.pipe") }
      guard let target = program.range([.i32(address), .i32(8)], 0, 1) else { return [.i32(UInt32(fault))] }
      guard let wasi = program.wasi else { return [.i32(8)] }
      // A reader waits in the scheduler for bytes, a writer for room (`WASIPipe`).
      let ends = WASIPipe.makeEnds(monitor: KernelIPCScheduler.shared.makeMonitor())
      let reader: UInt32, writer: UInt32
      do throws(WASIErrno) {
        reader = try wasi.open(ends.reader)
        writer = try wasi.open(ends.writer)
      } catch {
        return [.i32(UInt32(error.rawValue))]
      }
      for byte in 0..<4 {
        target[byte] = UInt8(truncatingIfNeeded: reader >> UInt32(byte * 8))
        target[4 + byte] = UInt8(truncatingIfNeeded: writer >> UInt32(byte * 8))
      }
      return [.i32(0)]
    }

    function("spawn_with_handles", [i32, i32, i32, i32, i32, i32, i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      guard arguments.count == 8, case .i32(let pointer) = arguments[6], case .i32(let count) = arguments[7] else {
        throw Trap(message: "apus.spawn_with_handles")
      }
      guard count <= 16 else { return negative(28) }  // EINVAL: at most 16 ends
      guard let list = program.bytes([.i32(pointer), .i32(count * 4)], 0, 1) else { return negative(fault) }
      var handles: [Handle] = []
      for index in 0..<Int(count) {
        var raw: UInt32 = 0
        for byte in 0..<4 { raw |= UInt32(list[index * 4 + byte]) << UInt32(byte * 8) }
        handles.append(Handle(rawValue: raw))
      }
      return spawn(arguments, handles: handles)
    }

    function("wait", [i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      guard case .i32(let pid)? = arguments.first else { throw Trap(message: "apus.wait") }
      switch Programs.wait(for: pid, parent: program) {
      case .status(let status): return [.i32(UInt32(truncatingIfNeeded: status))]
      case .notChild: return negative(child)
      case .interrupted: throw Trap(kind: .interrupted)
      }
    }

    function("kill", [i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      guard case .i32(let pid)? = arguments.first else { throw Trap(message: "apus.kill") }
      return [.i32(UInt32(Programs.kill(pid, by: program)))]
    }

    function("getpid", [], [i32]) { _, _ throws(Trap) -> [Value] in [.i32(program.pid)] }

    function("ps", [i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      program.report(Programs.processList(), arguments)
    }

    function("meminfo", [i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      program.report(Programs.memoryInfo(), arguments)
    }

    function("uptime_ns", [], [.i64]) { _, _ throws(Trap) -> [Value] in
      [.i64(Clock.microsecondsSinceBoot() &* 1000)]
    }

    function("shutdown", [], [i32]) { _, _ throws(Trap) -> [Value] in
      Programs.shutdown(by: program)
    }

    function("yield", [], [i32]) { _, _ throws(Trap) -> [Value] in
      Scheduler.yield()
      return [.i32(0)]
    }

    function("print", [i32, i32], []) { _, arguments throws(Trap) -> [Value] in
      guard let bytes = program.range(arguments, 0, 1) else { throw Trap(kind: .memoryOutOfBounds) }
      var text = TextBuffer()
      text.appendInterpolation(task: Scheduler.currentTask)
      text.append(": ")
      let shown = min(bytes.count, 300)
      for offset in 0..<shown {
        let byte = bytes[offset]
        if byte == 10, offset == bytes.count - 1 { break }
        text.append(byte: byte == 10 ? 32 : byte)
      }
      Log.info(LogMessage(text))
      return []
    }

    function("exit", [i32], []) { _, arguments throws(Trap) -> [Value] in
      guard case .i32(let code)? = arguments.first else { throw Trap(message: "apus.exit") }
      // Unwind the wasm stack with a trap; the runner sees `exitCode` and ends the program.
      program.exitCode = Int32(bitPattern: code)
      throw Trap(message: "exit")
    }

    function("sleep", [i32], []) { _, arguments throws(Trap) -> [Value] in
      guard case .i32(let milliseconds)? = arguments.first else { throw Trap(message: "apus.sleep") }
      // In slices, so that a kill is noticed within 10 ms.
      var left = UInt64(min(milliseconds, 60_000))
      while left > 0, !Scheduler.currentTask.killRequested {
        let slice = min(left, 10)
        Scheduler.sleep(microseconds: slice * 1000)
        left -= slice
      }
      return []
    }

    function("memory_report", [], []) { _, _ throws(Trap) -> [Value] in
      MemoryReport.log()
      return []
    }
    // Devices for driver programs (docs/DEVICES.md).
    DeviceHostFunctions.define(in: linker, store: store, program: program, function: function)
    // Channels and handles (docs/IPC.md): the shared functions over the kernel's scheduler.
    let ipc = IPCContext(scheduler: KernelIPCScheduler.shared, handles: program.handles)
    ipc.define(in: linker, store: store)
    program.ipc = ipc
  }

  /// Ends a host call of a program that was killed meanwhile: the runtime unwinds it.
  static func leaveIfKilled() throws(Trap) {
    if Scheduler.currentTask.killRequested { throw Trap(kind: .interrupted) }
  }

  /// NUL-separated strings (a final NUL optional; empty strings between NULs kept).
  static func nulSeparated(_ bytes: [UInt8]) -> [String] {
    guard !bytes.isEmpty else { return [] }
    var body = bytes[...]
    if body.last == 0 { body = body.dropLast() }
    return body.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
  }
}

extension Program {
  /// The bytes [address, address + length) of the exported memory (arguments `first` and
  /// `second`); nil when there is no memory or the range is outside it.
  func range(_ arguments: [Value], _ first: Int, _ second: Int) -> UnsafeMutableRawBufferPointer? {
    guard arguments.count > max(first, second), case .i32(let address) = arguments[first],
          case .i32(let length) = arguments[second], let memory,
          UInt64(address) + UInt64(length) <= memory.byteCount
    else { return nil }
    return UnsafeMutableRawBufferPointer(start: memory.baseAddress + Int(address), count: Int(length))
  }

  /// A copy of `range` (taken before the call acts, so later changes by other code do not matter).
  func bytes(_ arguments: [Value], _ first: Int, _ second: Int) -> [UInt8]? {
    range(arguments, first, second).map { Array($0) }
  }

  /// The `ps`/`meminfo` convention: the full length of `text`, written to the buffer
  /// (arguments 0 and 1) only if it fits; -EFAULT for a buffer outside the memory.
  func report(_ text: [UInt8], _ arguments: [Value]) -> [Value] {
    guard let buffer = range(arguments, 0, 1) else {
      return [.i32(UInt32(bitPattern: -Int32(ApusHostModule.fault)))]
    }
    if text.count <= buffer.count {
      for index in 0..<text.count { buffer[index] = text[index] }
    }
    return [.i32(UInt32(text.count))]
  }
}

/// "memory: 31000 free frames, heap 812 live allocations (51 KiB), 12 user pages backed", then
/// "user address space: 8657043456 bytes reserved, high water 17314086912 bytes"
enum MemoryReport {
  static func log() {
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    let frames = KernelMemory.frames!.statistics.freeFrames
    let heap = KernelMemory.heap.statistics
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
    let (reserved, highWater) = UserSpace.lock.withLock { (UserSpace.reservedBytes, UserSpace.nextAddress - UserSpace.start) }
    Log.info("memory: \(frames) free frames, heap \(heap.liveAllocations) live allocations (\(heap.bytesInUse) bytes), \(UserSpace.backedPages) user pages backed")
    Log.info("user address space: \(reserved) bytes reserved, high water \(highWater) bytes")
  }
}
