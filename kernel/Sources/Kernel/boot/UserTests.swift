/// Tests of user mode and scheduling, selected on the command line like the self-tests:
/// `test=user` (system calls, faults, SSE state), `test=preempt` (an endless loop is
/// preempted), `test=sched` (tasks spread over every CPU), `test=smap` (the kernel touching
/// user memory outside user_copy must panic).
enum UserTests {
  static func run(_ boot: BootInfo) {
    if boot.hasOption("test=user") { user() }
    if boot.hasOption("test=preempt") { preempt() }
    if boot.hasOption("test=sched") { sched() }
    if boot.hasOption("test=smap") { smap() }
    if boot.hasOption("test=usercall") { UserCallTests.run() }
  }

  static func user() {
    let expected: [(StaticString, Int64)] = [
      ("hello", 0), ("badpointers", 0), ("stackbomb", UserFaults.status(for: 14)),
      ("invalid", UserFaults.status(for: 6)), ("divide", UserFaults.status(for: 0)),
      ("peek", UserFaults.status(for: 14)), ("sleeper", 0), ("vector", 0), ("vector", 0), ("vector", 0),
    ]
    var tasks: [Task] = []
    for (name, _) in expected { tasks.append(spawn(name)) }
    waitForAll(seconds: 30)
    for (index, (name, status)) in expected.enumerated() {
      let actual = Scheduler.exitStatus(of: tasks[index].id) ?? Int64.min
      if actual != status { panic("usertest: \(name) exited with \(actual), expected \(status)") }
    }
    Log.info("usertest: \(tasks.count) programs, \(SystemCalls.count) system calls, \(UserSpace.lazyFaults) lazily backed pages")
    Log.info("usertest: ok")
  }

  /// One CPU: an endless loop shares it with two finite programs; a kernel task (the idle
  /// context never runs while spin is ready) waits for them, then kills spin.
  static func preempt() {
    let spin = spawn("spin")
    let hello = spawn("hello")
    let worker = spawn("worker")
    Scheduler.spawnKernelTask("preempt-test") {
      let start = Clock.microsecondsSinceBoot()
      while Scheduler.exitStatus(of: hello.id) == nil || Scheduler.exitStatus(of: worker.id) == nil {
        if Clock.microsecondsSinceBoot() - start > 30_000_000 { panic("preempt: hello/worker did not finish") }
        Scheduler.sleep(microseconds: 10_000)
      }
      Log.info("preempt: hello and worker finished while spin ran; killing spin")
      Scheduler.kill(spin)
    }
    waitForAll(seconds: 40)
    guard Scheduler.exitStatus(of: hello.id) == 0, Scheduler.exitStatus(of: worker.id) == 0,
          Scheduler.exitStatus(of: spin.id) == -9, spin.preemptions > 0
    else { panic("preempt: spin was not preempted and killed") }
    Log.info("preempt: spin preempted \(spin.preemptions) times, killed; ok")
  }

  static func sched() {
    let cpuCount = Int(atomic_load_u32(&SMP.onlineCount))
    var tasks: [Task] = []
    for _ in 0..<(3 * cpuCount) { tasks.append(spawn("worker")) }
    for _ in 0..<cpuCount { tasks.append(spawn("vector")) }
    let start = Clock.microsecondsSinceBoot()
    waitForAll(seconds: 60)
    let elapsed = Clock.microsecondsSinceBoot() - start
    var cpus: UInt64 = 0
    for task in tasks {
      guard Scheduler.exitStatus(of: task.id) == 0 else { panic("sched: \(task: task) failed") }
      cpus |= task.cpusRun
    }
    for cpu in Scheduler.cpus {
      Log.info("sched: cpu\(cpu.number) \(cpu.userTicks) user ticks, \(cpu.steals) steals")
    }
    Log.info("sched: \(tasks.count) tasks ran on \(cpus.nonzeroBitCount) of \(cpuCount) CPUs in \(elapsed / 1000) ms")
    guard cpus.nonzeroBitCount == cpuCount else { panic("sched: some CPU ran no task") }
    Log.info("sched: ok")
  }

  static func smap() {
    guard let task = UserPrograms.builtIn("hello") else { panic("smap: cannot load hello") }
    let code = task.userFrame!.pointee.rip
    Log.info("smap: reading user code at \(hex: code) without user_copy (must panic)")
    let byte = UnsafePointer<UInt8>(bitPattern: UInt(code))!.pointee
    panic("smap: the kernel read user memory (\(byte)) without a fault")
  }

  // MARK: Helpers

  static func spawn(_ name: StaticString) -> Task {
    guard let task = UserPrograms.builtIn(name) else { panic("usertest: cannot load \(name)") }
    Scheduler.spawn(task)
    return task
  }

  static func waitForAll(seconds: UInt64) {
    let start = Clock.microsecondsSinceBoot()
    Scheduler.idle {
      Scheduler.liveTasks == 0 || Clock.microsecondsSinceBoot() - start > seconds * 1_000_000
    }
    if Scheduler.liveTasks != 0 { panic("usertest: \(Scheduler.liveTasks) tasks still running after \(seconds) s") }
  }
}
