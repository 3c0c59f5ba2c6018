import WasmCompiler
import WasmFrontEnd
import WASIPreview1
import WasmRuntime

/// Runs one WebAssembly program of the boot image in its task: decodes, validates and
/// JIT-compiles the module (in kernel mode), places the code in read-execute user pages,
/// instantiates it (linear memory: a user reservation backed on first touch; VM data: the
/// task's `VMDataArena`) with the `apus` host module and WASI preview 1 (`KernelWASI`), then
/// calls its entry export in ring 3 through `UserCall` (`KernelPlatform.callEntry`).
///
/// Everything the program allocated (kernel heap objects of the runtime, code, linear memory,
/// VM data, the user stack) is released before the task ends, so a program leaves nothing
/// behind (kernel/tests/run `programs-churn` checks the counters).
enum KernelWasm {
  static let userStackSize: UInt64 = 1 << 20

  /// A program's module as `Programs.spawn` checked it: the bytes, decoded, and its memory
  /// limit in pages (`memory.grow` beyond it returns -1; `Programs.memoryPageLimit`).
  struct Code {
    var bytes: [UInt8]
    var decoded: Module
    var pageLimit: UInt64
  }
  /// The compiler tier for programs and services: a boot setting (kernel command line
  /// `tier=baseline|optimizing|tiered`, tiered by default; `tierup=0`: every function and loop
  /// is optimised at its first entry), written once by `BootPrograms.run` before any program
  /// starts.
  nonisolated(unsafe) private(set) static var tier: CompilerTier = .tiered
  nonisolated(unsafe) private(set) static var tierUpThreshold = Engine.Configuration().tierUpThreshold

  static func useBaselineTier() { tier = .baseline }
  static func useOptimizingTier() { tier = .optimizing }
  static func useTieredTier() { tier = .tiered }
  static func tierUpAtOnce() { tierUpThreshold = 0 }

  /// The engine settings every program and the spec runner share.
  static func configure(_ configuration: inout Engine.Configuration) {
    configuration.tier = tier
    configuration.tierUpThreshold = tierUpThreshold
  }

  /// The task body: runs `program` and leaves its exit status in the task.
  static func run(_ program: Program, _ code: Code) {
    let task = Scheduler.currentTask
    var configuration = Engine.Configuration()
    configuration.memoryPageLimit = code.pageLimit
    configure(&configuration)
    // The channel ends it was started with: a program marked `restart` keeps them across restarts.
    let startChannels = program.setup.inheritedObjects.compactMap { $0.channelEndpoint }
    var budget = RestartBudget()
    while true {
      // The runtime writes VM data, code and linear memory directly: one user-access window for
      // all of it. The engine outlives every other runtime object, which `execute` releases
      // before it returns.
      task.exitStatus = UserAccess.open {
        let start = Clock.microsecondsSinceBoot()
        let engine = Engine(platform: KernelPlatform.shared, configuration: configuration)
        if program.isVerbose {
          Log.info("\(task: task): wasm: engine ready in \((Clock.microsecondsSinceBoot() - start) / 1000) ms")
        }
        return withExtendedLifetime(engine) { execute(program, code, engine, task) }
      }
      Programs.lock.withLock { program.memory = nil }
      program.wasi = nil
      guard prepareRestart(program, task, &budget, startChannels: startChannels) else { break }
    }
    // Its streams (pipe ends among them) are let go with its context.
    program.setup.standardStreams = [nil, nil, nil]
    // Its channel ends close: peers see the channel closed, blocked peers wake up.
    program.handles.closeAll()
    program.setup.inheritedObjects = []
    program.ipc = nil
  }

  /// After a trap of a program marked `restart` in etc/capabilities (a driver, say), within its
  /// `RestartBudget`: closes what the trapped instance held (a device is reset and released)
  /// except the open channel ends it was started with, which pass to the next instance — their
  /// peers' next receive fails with ECONNRESET (the requests in flight are lost) — and waits
  /// the back-off. False when the program ends instead (no trap, a kill, the budget spent).
  private static func prepareRestart(_ program: Program, _ task: Task, _ budget: inout RestartBudget,
                                     startChannels: [ChannelEndpoint]) -> Bool {
    guard let kind = program.trapKind, !program.killed, !task.killRequested,
          KernelServices.manifest?.restartsAfterTrap(program.name.string) == true
    else { return false }
    let reason = trapKindName(kind)
    guard let (number, delay) = budget.next(now: Clock.microsecondsSinceBoot()) else {
      Log.warning("\(task: task): trapped (\(reason)) again: \(RestartBudget.limit) restarts within \(RestartBudget.windowMicroseconds / 1_000_000) s, not restarted again")
      return false
    }
    let kept = program.handles.takeObjects { object in
      guard let endpoint = object.channelEndpoint, endpoint.isOpen else { return false }
      return startChannels.contains { $0 === endpoint }
    }
    program.handles.closeAllAndStartOver()
    for object in kept { object.channelEndpoint?.handOverAfterRestart() }
    program.setup.inheritedObjects = kept
    program.trapKind = nil
    program.exitCode = nil
    Log.warning("\(task: task): trapped (\(reason)); restarting in \(delay / 1000) ms (restart \(number) of at most \(RestartBudget.limit) within \(RestartBudget.windowMicroseconds / 1_000_000) s)")
    var waited: UInt64 = 0
    while waited < delay, !task.killRequested {
      Scheduler.sleep(microseconds: 10_000)
      waited += 10_000
    }
    guard !task.killRequested else {
      task.exitStatus = Programs.killedStatus  // killed while waiting to restart, not trapped
      return false
    }
    return true
  }

  /// Compiles, instantiates and runs the module; returns the exit status: the code given to
  /// `apus.exit` or `proc_exit`, main's i32 result (0 for `_start`), 134 after a trap, 137 if
  /// it was killed (docs/USERSPACE.md).
  private static func execute(_ program: Program, _ code: Code, _ engine: Engine, _ task: Task) -> Int64 {
    if task.killRequested { return Programs.killedStatus }
    guard task.ensureUserStack(size: userStackSize) else {
      Log.warning("\(task: task): wasm: no memory for a user stack")
      return 1
    }
    let bytes = code.bytes
    let decoded = code.decoded
    let start = Clock.microsecondsSinceBoot()
    let name = program.name.string
    if let denied = KernelServices.deniedImport(decoded, program: name) {
      Log.warning("\(task: task): not allowed to import \(string: denied.module).\(string: denied.name) (etc/capabilities)")
      return 3
    }
    let store = Store(engine: engine)
    let linker = Linker()
    ApusHostModule.define(in: linker, store: store, program: program)
    let wasi = program.setup.makeContext()
    program.wasi = wasi
    // Its memory reference would keep the store (and its host functions) alive: let go of it
    // before the store is released, inside the user-access window.
    defer { wasi.memory = nil }
    KernelWASI.define(wasi, in: linker, store: store)
    // A program that imports other programs is linked against the running services; the
    // link (trampolines, contexts) must live as long as the instance.
    var linked: ProgramSystem.LinkedProgram?
    defer { KernelServices.release(&linked) }
    let instance: Instance
    if KernelServices.hasDependencies(decoded) {
      switch KernelServices.link(name, bytes: bytes, store: store, host: linker) {
      case .success(let link):
        linked = link
        instance = link.instance
      case .failure(let error):
        Log.warning("\(task: task): cannot start: \(string: error.description)")
        return 3
      }
    } else {
      let compiled: WasmModule
      do throws(WasmError) {
        compiled = try WasmModule(engine: engine, decoded: decoded)
      } catch {
        Log.warning("\(task: task): wasm: invalid module: \(string: error.description)")
        return 2
      }
      do throws(InstantiationError) {
        instance = try linker.instantiate(store, compiled)
      } catch {
        Log.warning("\(task: task): wasm: cannot instantiate: \(string: error.message) \(string: error.detail ?? "")")
        return 3
      }
    }
    let memory = instance.memory("memory")
    Programs.lock.withLock { program.memory = memory }
    defer { if let memory { reportRefusedGrowth(memory, task) } }
    program.ipc?.bind(instance)
    // Channel ends passed by the parent: handles 4096, 4097, … (a fresh table's first slots).
    for object in program.setup.inheritedObjects { _ = try? program.handles.insert(object) }
    program.setup.inheritedObjects = []
    wasi.bind(instance)
    let elapsed = Clock.microsecondsSinceBoot() - start
    if program.isVerbose {
      Log.info("\(task: task): wasm: \(decoded.functionBodies.count) functions (\(bytes.count) bytes) compiled and instantiated in \(elapsed / 1000) ms")
    }
    let main = instance.function("_start") ?? instance.function("main")
    guard let main else {
      Log.warning("\(task: task): wasm: no _start or main export")
      return 4
    }
    if program.isInit {
      let now = Clock.microsecondsSinceBoot()
      Log.info("boot: init started after \(now / 1000) ms (\(now) us since kernel entry)")
      // A console session (`quiet`): from here on the console belongs to the programs.
      if Programs.quiet { Log.threshold = .warning }
    }
    if task.killRequested { return Programs.killedStatus }
    let outcome: Result<[Value], Trap>
    do throws(Trap) {
      outcome = .success(try main.call([]))
    } catch {
      outcome = .failure(error)
    }
    if case .failure(let trap) = outcome, trap.kind == .interrupted || task.killRequested {
      return Programs.killedStatus
    }
    if let code = program.exitCode { return Int64(code) }
    if let code = wasi.exitCode { return Int64(code) }  // proc_exit
    switch outcome {
    case .success(let results):
      if case .i32(let bits)? = results.first { return Int64(Int32(bitPattern: bits)) }
      return 0
    case .failure(let trap):
      report(trap, task)
      program.trapKind = trap.kind.map { UInt32($0.rawValue) } ?? 0
      return Programs.trappedStatus
    }
  }

  /// "pid 7 (big): memory.grow to 300 pages refused: the limit is 256 pages (16 MiB) …" when the
  /// program asked for more memory than it may have (its own view: memory.grow returned -1).
  private static func reportRefusedGrowth(_ memory: Memory, _ task: Task) {
    if let wanted = memory.largestPagesRefusedForMemory {
      Log.warning("\(task: task): memory.grow to \(wanted) pages refused: out of memory (the machine's free memory is promised to programs and the kernel)")
    }
    guard let wanted = memory.largestRefusedPages else { return }
    Log.warning("\(task: task): memory.grow to \(wanted) pages refused: the limit is \(memory.pageLimit) pages (\(string: Programs.mebibytes(pages: memory.pageLimit)); half the machine's memory, or NAME: memory=SIZE in etc/capabilities)")
  }

  /// "pid 7 (hello): trap: out of bounds memory access in func store_loop+0x1c"
  private static func report(_ trap: Trap, _ task: Task) {
    // (Not trap.message: string literals longer than 15 bytes live at negative addresses in
    // the kernel image, where Embedded Swift's String mistakes them for foreign strings.)
    var text = TextBuffer()
    text.appendInterpolation(task: task)
    text.append(": trap: ")
    text.append(trapKindName(trap.kind.map { UInt32($0.rawValue) } ?? 0))
    if let frame = trap.backtrace.first {
      text.append(" in func ")
      if let name = frame.readableName {
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
  case 12: return "interrupted"
  default: return "host error"
  }
}

