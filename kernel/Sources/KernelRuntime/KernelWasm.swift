import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// WebAssembly programs from the boot image, run by the embedded runtime: each gets a task
/// that decodes, validates and compiles the module (JIT, in kernel mode), places the code in
/// read-execute user pages and instantiates it (linear memory: a user reservation backed on
/// first touch), then runs its entry export in ring 3 through `UserCall`.
///
/// Running compiled code needs one more hook in WasmRuntime: it calls its entry trampoline
/// directly, which from ring 0 faults on a user page (SMEP), and compiled code reads its VM
/// data from the kernel heap, which ring 3 cannot see. Until the runtime routes the entry
/// through the platform (see kernel/README.md, "WebAssembly activations"), the task stops
/// after instantiation and says so.
enum KernelWasm {
  static let userStackSize: UInt64 = 1 << 20

  static func start(_ entry: BootImage.Entry) -> Bool {
    let bytes = Array(entry.data.bindMemory(to: UInt8.self))
    return Scheduler.spawnKernelTask(named: entry.name, fpu: true, {
      // The runtime writes code and linear memory directly: one user-access window for all of
      // it. The module, instance and engine are released when `run` returns, before the exit.
      let status = UserAccess.open { run(bytes) }
      Scheduler.exitCurrent(status: status)
    }) != nil
  }

  /// Compiles, instantiates and runs one module; returns the task's exit status.
  private static func run(_ bytes: [UInt8]) -> Int64 {
    let task = Scheduler.currentTask
    guard task.ensureUserStack(size: userStackSize) else {
      Log.warning("\(task: task): wasm: no memory for a user stack")
      return 1
    }

    let start = Clock.microsecondsSinceBoot()
    let engine = Engine(platform: KernelPlatform.shared)
    let compiled: WasmModule?
    do throws(WasmError) {
      compiled = try WasmModule(engine: engine, bytes: bytes)
    } catch {
      Log.warning("\(task: task): wasm: invalid module (offset \(error.offset))")
      compiled = nil
    }
    guard let module = compiled else { return 2 }
    let elapsed = Clock.microsecondsSinceBoot() - start
    Log.info("\(task: task): wasm: compiled \(module.module.functionBodies.count) functions (\(bytes.count) bytes of wasm) in \(elapsed / 1000) ms")

    #if !KERNEL_RUNTIME_RING3
    guard module.module.start == nil else {
      Log.info("\(task: task): wasm: has a start function; entering compiled code needs the runtime's user-mode entry")
      return 0
    }
    #endif
    let store = Store(engine: engine)
    let linker = Linker()
    let exported = ExportedMemory()
    definePrint(linker, store, exported)
    let instantiated: Instance?
    do throws(InstantiationError) {
      instantiated = try linker.instantiate(store, module)
      exported.memory = instantiated?.memory("memory")
    } catch {
      Log.warning("\(task: task): wasm: cannot instantiate")
      instantiated = nil
    }
    guard let instance = instantiated else { return 3 }
    let exports = instance.exports.count
    Log.info("\(task: task): wasm: instantiated, \(exports) exports, \(UserSpace.backedPages) user pages backed")
    #if KERNEL_RUNTIME_RING3
    guard let main = instance.function("main") ?? instance.function("_start") else {
      Log.warning("\(task: task): wasm: no main or _start export")
      return 4
    }
    let callStart = Clock.microsecondsSinceBoot()
    let outcome: Result<[Value], Trap>
    do throws(Trap) {
      outcome = .success(try main.call([]))
    } catch {
      outcome = .failure(error)
    }
    let callTime = Clock.microsecondsSinceBoot() - callStart
    switch outcome {
    case .success(let results):
      var text = TextBuffer()
      text.appendInterpolation(task: task)
      text.append(": wasm: main returned")
      for value in results {
        switch value {
        case .i32(let bits): text.append(" "); text.appendInterpolation(Int32(bitPattern: bits))
        case .i64(let bits): text.append(" "); text.appendInterpolation(Int64(bitPattern: bits))
        default: text.append(" (non-integer)")
        }
      }
      text.append(" in ring 3 (")
      text.appendInterpolation(callTime)
      text.append(" us)")
      Log.info(LogMessage(text))
      let status: Int64
      if case .i32(let bits)? = results.first { status = Int64(Int32(bitPattern: bits)) } else { status = 0 }
      return status
    case .failure(let trap):
      // (Not trap.message: string literals longer than 15 bytes live at negative addresses in
      // the kernel image, where Embedded Swift's String mistakes them for foreign strings.)
      var text = TextBuffer()
      text.appendInterpolation(task: task)
      text.append(": trap: ")
      let kind = trap.kind.map { UInt32($0.rawValue) } ?? 0
      text.append(trapKindName(kind))
      if let frame = trap.backtrace.first {
        text.append(" in func ")
        if let name = frame.functionName {
          text.appendInterpolation(string: name)
        } else {
          text.append("[")
          text.appendInterpolation(frame.functionIndex)
          text.append("]")
        }
        text.append("+")
        text.appendInterpolation(hex: frame.codeOffset)
      }
      Log.warning(LogMessage(text))
      return 128 + Int64(kind)
    }
    #else
    Log.info("\(task: task): wasm: entering compiled code in ring 3 needs the runtime's user-mode entry (kernel/README.md)")
    return 0
    #endif
  }
}

/// The instance's exported memory, filled in after instantiation (host functions read it).
final class ExportedMemory {
  var memory: Memory?
}

/// `apus.print(address: i32, length: i32)`: logs bytes of the exported memory "memory" as a
/// line of the task. Runs in the kernel (a host call through a gate) with user access open.
private func definePrint(_ linker: Linker, _ store: Store, _ exported: ExportedMemory) {
  let type = FunctionType(parameters: [.i32, .i32], results: [])
  linker.defineFunction(store: store, module: "apus", name: "print", type: type) { _, arguments throws(Trap) -> [Value] in
    guard arguments.count == 2, case .i32(let address) = arguments[0], case .i32(let length) = arguments[1],
          let memory = exported.memory, UInt64(address) + UInt64(length) <= memory.byteCount
    else { throw Trap(message: "apus.print: bad range") }
    var text = TextBuffer()
    text.appendInterpolation(task: Scheduler.currentTask)
    text.append(": ")
    for offset in 0..<Int(min(length, 300)) {
      let byte = memory.baseAddress.load(fromByteOffset: Int(address) + offset, as: UInt8.self)
      if byte == 10, offset == Int(length) - 1 { break }
      text.append(byte: byte == 10 ? 32 : byte)
    }
    Log.info(LogMessage(text))
    return []
  }
}

/// The WebAssembly spec's wording of a trap kind (`TrapKind` raw values, VMLayout.swift).
func trapKindName(_ kind: UInt32) -> StaticString {
  switch kind {
  case 1: return "unreachable"
  case 2: return "out of bounds memory access"
  case 3: return "out of bounds table access"
  case 4: return "integer divide by zero"
  case 5: return "integer overflow"
  case 6: return "invalid conversion to integer"
  case 7: return "indirect call type mismatch"
  case 8: return "undefined element"
  case 9: return "uninitialized element"
  case 10: return "call stack exhausted"
  case 11: return "host function trapped"
  default: return "host error"
  }
}

extension TextBuffer {
  /// A Swift string built at run time (names from a module). Not for long string literals of
  /// the shared libraries: see `trapKindName`.
  mutating func appendInterpolation(string: String) {
    for byte in string.utf8 { append(byte: byte) }
  }
}
