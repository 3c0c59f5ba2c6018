/// `test=usercall`: the ring-3 activation mechanism with a stand-in for a compiled module
/// (user_programs.S, "activation"): kernel → user calls through an entry trampoline, host calls
/// back into the kernel, a nested call from inside a host call, traps at registered trap sites
/// resumed at the trap exit with the kind and backtrace recorded in the activation record, and
/// a long user call preempted by the timer while another program runs.
enum UserCallTests {
  /// Header slots (user_programs.S) of the stand-in's functions.
  enum Function {
    static let add = 2, unreachable = 3, load = 4, nested = 5, divide = 6, spin = 11, callPointer = 12
  }

  /// Host calls of the test: 0x100 add(a, b) → a + b; 0x101 nested(a, b) → add in a nested call.
  final class HostCalls: SystemCallHandler {
    let test: UserCallTests.Setup
    var maximumDepth = 0
    init(_ test: UserCallTests.Setup) { self.test = test }

    func handleSystemCall(_ task: Task, number: UInt64, _ frame: UnsafeMutablePointer<trap_frame>) -> Int64 {
      maximumDepth = max(maximumDepth, task.userCalls.count)
      switch number {
      case 0x100: return Int64(bitPattern: frame.pointee.rdi &+ frame.pointee.rsi)
      case 0x101:
        let values = test.data + 0x400
        guard test.write(values, [frame.pointee.rdi, frame.pointee.rsi]),
              test.call(function: Function.add, values: values, activation: test.data + 0x800) == 0
        else { return -1 }
        return Int64(bitPattern: test.read(values))
      default: return -SystemCallError.noSuchCall.rawValue
      }
    }
  }

  /// The loaded stand-in module and the user memory of the test.
  final class Setup {
    let code: UInt64
    let data: UInt64
    let guardArea: UInt64
    let traps = WasmTrapHandler()
    let header: UnsafePointer<UInt64>
    let trapOffsets: UnsafeMutablePointer<UInt32>
    let trapKinds: UnsafeMutablePointer<UInt32>

    init?(_ task: Task) {
      let size = activation_blob_size()
      header = UnsafeRawPointer(activation_blob()!).assumingMemoryBound(to: UInt64.self)
      guard let code = UserSpace.reserve(byteCount: size),
            UserSpace.commit(code, byteCount: size.roundedUp(to: pageSize), protection: .readWrite),
            UserMemory.copyOut(to: code, from: activation_blob(), count: Int(size)),
            UserSpace.commit(code, byteCount: size.roundedUp(to: pageSize), protection: .readExecute),
            let data = UserSpace.reserve(byteCount: 2 * pageSize),
            UserSpace.commit(data, byteCount: 2 * pageSize, protection: .readWrite),
            let guardArea = UserSpace.reserve(byteCount: 64 << 10),
            let stack = UserSpace.reserve(byteCount: (256 << 10) + pageSize),
            UserSpace.commit(stack + pageSize, byteCount: 256 << 10, protection: .readWrite)
      else { return nil }
      self.code = code
      self.data = data
      self.guardArea = guardArea
      task.reservations += [code, data, guardArea, stack]
      task.userStackTop = stack + pageSize + (256 << 10)
      // Trap sites in ascending order: unreachable (kind 1), load (2), divide (4).
      trapOffsets = .allocate(capacity: 3)
      trapKinds = .allocate(capacity: 3)
      for (index, (slot, kind)) in [(8, UInt32(1)), (9, 2), (10, 4)].enumerated() {
        trapOffsets[index] = UInt32(header[slot])
        trapKinds[index] = kind
      }
      CodeRegistry.register(CodeRegistry.Registration(
        start: code, size: size, trapSiteOffsets: trapOffsets, trapSiteKinds: trapKinds,
        trapSiteCount: 3, trapExit: code + header[1]))
    }

    deinit {
      CodeRegistry.unregister(start: code)
      trapOffsets.deallocate()
      trapKinds.deallocate()
    }

    /// entry(vmctx 0, function, values, 2, activation) in user mode; the trampoline's result.
    func call(function slot: Int, values: UInt64, activation: UInt64) -> UInt64? {
      let previous = traps.activation
      traps.activation = activation
      defer { traps.activation = previous }
      return UserCall.call(
        entry: code + header[0], arguments: [0, code + header[slot], values, 2, activation],
        returnGate: code + header[7])
    }

    func write(_ address: UInt64, _ values: [UInt64]) -> Bool {
      values.withUnsafeBytes { bytes in UserMemory.copyOut(to: address, from: bytes.baseAddress!, count: bytes.count) }
    }

    func read(_ address: UInt64) -> UInt64 {
      var value: UInt64 = 0
      _ = UserMemory.copyIn(&value, from: address, count: 8)
      return value
    }

    func read32(_ address: UInt64) -> UInt32 {
      var value: UInt32 = 0
      _ = UserMemory.copyIn(&value, from: address, count: 4)
      return value
    }
  }

  static func run() {
    let other = UserTests.spawn("spin")  // shares the CPU with the long call below
    guard let tester = Scheduler.spawnKernelTask("usercall-test", fpu: true, {
      body()
      Scheduler.kill(other)
    }) else {
      panic("usercall: cannot start the test task")
    }
    UserTests.waitForAll(seconds: 60)
    guard Scheduler.exitStatus(of: other.id) == -9, Scheduler.exitStatus(of: tester.id) == 0 else {
      panic("usercall: a task failed")
    }
  }

  private static func body() {
    let task = Scheduler.currentTask
    guard let test = Setup(task) else { panic("usercall: cannot set up user memory") }
    let hostCalls = HostCalls(test)
    task.faultHandler = test.traps
    task.systemCallHandler = hostCalls
    let values = test.data
    let activation = test.data + 0x100

    // A call with a host call inside.
    check(test.write(values, [40, 2]) && test.call(function: Function.add, values: values, activation: activation) == 0
          && test.read(values) == 42, "add through a host call returns 42")

    // Traps at registered sites come back as the kind, with kind and backtrace recorded.
    check(test.call(function: Function.unreachable, values: values, activation: activation) == 1, "ud2 at a trap site → unreachable")
    check(test.read32(activation + 16) == 1, "the activation records the trap kind")
    let frames = test.read32(activation + 20)
    check(frames == 3, "the backtrace has the trap site, its caller and the entry trampoline")
    check(test.read(activation + 24) == test.code + test.header[8], "the faulting pc is the trap site")
    check(test.write(values, [0, test.guardArea + 0x1000])
          && test.call(function: Function.load, values: values, activation: activation) == 2, "guard page load → out of bounds")
    Log.info("\(task: task): trap: out of bounds memory access in func load+\(hex: test.read(activation + 24) - test.code - test.header[Function.load])")
    check(test.write(values, [7, 0]) && test.call(function: Function.divide, values: values, activation: activation) == 4,
          "divide by zero at a trap site")
    check(test.write(values, [84, 2]) && test.call(function: Function.divide, values: values, activation: activation) == 0
          && test.read(values) == 42, "the same code runs normally after traps")

    // A call from inside a host call.
    check(test.write(values, [5, 6]) && test.call(function: Function.nested, values: values, activation: activation) == 0
          && test.read(values) == 11 && hostCalls.maximumDepth == 2, "nested call through a host call")

    // A host-call gate (what the runtime would give compiled code for builtins), called
    // through a pointer, and the shared return gate.
    let multiply: @convention(c) (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) -> UInt64 = { a, b, _, _, _, _ in
      a &* b
    }
    guard let gate = HostCallGates.gate(for: UInt64(UInt(bitPattern: unsafeBitCast(multiply, to: UnsafeRawPointer.self)))) else {
      panic("usercall: no host-call gate")
    }
    check(test.write(values, [6, 7, gate])
          && UserCall.call(entry: test.code + test.header[0],
                           arguments: [0, test.code + test.header[Function.callPointer], values, 3, activation],
                           returnGate: HostCallGates.returnGate) == 0
          && test.read(values) == 42, "a call through a host-call gate and the shared return gate")

    // A user-access window (RFLAGS.AC) opened before a call is open again after it.
    user_access_begin()
    let callResult = test.call(function: Function.add, values: values, activation: activation)
    let windowOpen = read_rflags() & (1 << 18) != 0 || smap_enabled == 0
    user_access_end()
    check(callResult == 0 && windowOpen, "RFLAGS.AC survives a user call")

    // VM data from the user arena: values and activation record of a call.
    let arena = VMDataArena()
    defer { arena.releaseAll() }
    guard let arenaValues = arena.allocate(byteCount: 24, alignment: 16),
          let arenaActivation = arena.allocate(byteCount: 552, alignment: 16),
          let large = arena.allocate(byteCount: 10_000, alignment: 16)
    else { panic("usercall: the VM data arena is empty") }
    check(arenaValues % 16 == 0 && arenaActivation % 16 == 0 && arenaValues != arenaActivation,
          "arena blocks are aligned and distinct")
    check(test.write(arenaValues, [20, 22]) && test.call(function: Function.add, values: arenaValues, activation: arenaActivation) == 0
          && test.read(arenaValues) == 42, "a call with arena values and activation")
    arena.deallocate(arenaValues)
    check(arena.allocate(byteCount: 24, alignment: 16) == arenaValues, "a freed block is reused")
    arena.deallocate(arenaValues)
    arena.deallocate(arenaActivation)
    arena.deallocate(large)

    // Round trips: kernel → user → host call → user → kernel.
    let start = Clock.microsecondsSinceBoot()
    for round: UInt64 in 0..<500 {
      check(test.write(values, [round, 1]) && test.call(function: Function.add, values: values, activation: activation) == 0
            && test.read(values) == round + 1, "repeated calls")
    }
    let elapsed = Clock.microsecondsSinceBoot() - start
    Log.info("usercall: 500 calls with a host call each in \(elapsed / 1000) ms (\(elapsed / 500) us per call)")

    // A long call: preempted by the timer (the worker shares the CPU), then returns normally.
    let before = task.preemptions
    check(test.write(values, [10_000_000, 0]) && test.call(function: Function.spin, values: values, activation: activation) == 0
          && test.read(values) == 0, "a long user call completes")
    Log.info("usercall: the long call was preempted \(task.preemptions - before) times")
    check(task.preemptions > before || Scheduler.cpus.count > 1, "the long call was preempted")
    Log.info("usercall: \(test.traps.trapsDelivered) traps delivered, nesting depth \(hostCalls.maximumDepth); ok")
  }

  static func check(_ condition: Bool, _ what: StaticString) {
    if !condition { panic("usercall: failed: \(what)") }
  }
}
