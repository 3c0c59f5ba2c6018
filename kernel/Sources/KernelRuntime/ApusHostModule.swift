import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// The host module `apus` that programs import until WASI preview 1 replaces it:
///
///     print(address: i32, length: i32)        a line on the console: "pid 7 (hello): text"
///     exit(code: i32)                         ends the program with `code`
///     spawn(name: i32, length: i32) -> i32    starts the boot image's program `name`: its pid,
///                                             or -1 (no such program, or no memory)
///     wait(pid: i32) -> i32                   waits for a child to end: its exit status, or -1
///                                             if `pid` is not an unwaited child
///     yield()                                 lets other programs run
///     sleep(milliseconds: i32)
///     memory_report()                         logs free frames and heap counters (tests)
///
/// Addresses are offsets in the program's exported memory "memory"; a range outside it traps.
/// The functions run in the kernel as host calls (system calls through a gate) with user
/// access open.
enum ApusHostModule {
  static func define(in linker: Linker, store: Store, program: Program) {
    let i32 = ValueType.i32
    func function(_ name: String, _ parameters: [ValueType], _ results: [ValueType], _ body: @escaping HostFunctionBody) {
      linker.defineFunction(store: store, module: "apus", name: name,
                            type: FunctionType(parameters: parameters, results: results), body: body)
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

    function("spawn", [i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      guard let bytes = program.range(arguments, 0, 1) else { throw Trap(kind: .memoryOutOfBounds) }
      var name = TaskName()
      guard bytes.count <= 24 else { return [.i32(UInt32(bitPattern: -1))] }
      for byte in bytes { name.append(byte: byte) }
      guard let child = Programs.spawn(named: name, parent: program.pid) else {
        return [.i32(UInt32(bitPattern: -1))]
      }
      return [.i32(child.pid)]
    }

    function("wait", [i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      guard case .i32(let pid)? = arguments.first else { throw Trap(message: "apus.wait") }
      let status = Programs.wait(for: pid, parent: program.pid)
      return [.i32(UInt32(truncatingIfNeeded: status ?? -1))]
    }

    function("yield", [], []) { _, _ throws(Trap) -> [Value] in
      Scheduler.yield()
      return []
    }

    function("sleep", [i32], []) { _, arguments throws(Trap) -> [Value] in
      guard case .i32(let milliseconds)? = arguments.first else { throw Trap(message: "apus.sleep") }
      Scheduler.sleep(microseconds: UInt64(min(milliseconds, 60_000)) * 1000)
      return []
    }

    function("memory_report", [], []) { _, _ throws(Trap) -> [Value] in
      MemoryReport.log()
      return []
    }
  }
}

extension Program {
  /// The bytes [address, address + length) of the exported memory (arguments `first` and
  /// `second`); nil when there is no memory or the range is outside it.
  func range(_ arguments: [Value], _ first: Int, _ second: Int) -> UnsafeRawBufferPointer? {
    guard arguments.count > max(first, second), case .i32(let address) = arguments[first],
          case .i32(let length) = arguments[second], let memory,
          UInt64(address) + UInt64(length) <= memory.byteCount
    else { return nil }
    return UnsafeRawBufferPointer(start: memory.baseAddress + Int(address), count: Int(length))
  }
}

/// "memory: 31000 free frames, heap 812 live allocations (51 KiB), 12 user pages backed"
enum MemoryReport {
  static func log() {
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    let frames = KernelMemory.frames!.statistics.freeFrames
    let heap = KernelMemory.heap.statistics
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
    Log.info("memory: \(frames) free frames, heap \(heap.liveAllocations) live allocations (\(heap.bytesInUse) bytes), \(UserSpace.backedPages) user pages backed")
  }
}
