import WASIPreview1
import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// WASI preview 1 for the kernel's programs: the shared `WASIPreview1` library over the kernel's
/// console, clock, random source and file system (`KernelFiles`).
///
/// Every program gets a `WASIContext` (`KernelWasm`): its arguments and environment
/// (`ProgramSetup`), stdin/stdout/stderr on the serial console (or the buffers a runner gives),
/// and the preopened directory "/" = the kernel-wide file system (fd 3).
enum KernelWASI {
  /// Defines the preview 1 functions bound to `context`: each call holds `WASILock`, so
  /// programs on several CPUs never touch the shared file system at the same time, and a
  /// program killed during a call (e.g. waiting for input) unwinds when it returns.
  static func define(_ context: WASIContext, in linker: Linker, store: Store) {
    context.define(in: linker, store: store, hook: callHook)
  }

  final class CallHook: WASICallHook {
    func enter() { WASILock.acquire() }

    func leave() throws(Trap) {
      WASILock.release()
      try ApusHostModule.leaveIfKilled()
    }
  }

  static let callHook = CallHook()
  static let clock = KernelWASIClock()
  static let random = KernelRandom()
  static let console = SerialConsoleFile()
}

/// What a program starts with besides its module: arguments, environment, standard streams
/// (nil: the serial console) and preopened directories (by default "/" = `KernelFiles`).
final class ProgramSetup {
  var arguments: [String]
  var environment: [String] = []
  var stdin: (any WASIFile)?
  var stdout: (any WASIFile)?
  var stderr: (any WASIFile)?
  var preopens: [(directory: any WASIFile, guestPath: String)] = []
  /// Preopen the kernel's file system as "/" (fd 3) before `preopens`.
  var preopensRoot = true
  /// Kernel objects (channel ends) the program starts with in its handle table, in order:
  /// the i-th has handle 4096 + i (`apus.spawn_with_handles`).
  var inheritedObjects: [KernelObject] = []
  /// Descriptors of the parent that become this program's 0, 1 and 2 (`apus.spawn_stdio`, and
  /// `spawn`: the parent's own); nil: `stdin`/`stdout`/`stderr` above.
  var standardStreams: [WASIStream?] = [nil, nil, nil]

  init(arguments: [String]) { self.arguments = arguments }

  /// The context of a program with this setup.
  func makeContext() -> WASIContext {
    let console = KernelWASI.console
    let context = WASIContext(arguments: arguments, environment: environment,
                              stdin: stdin ?? console, stdout: stdout ?? console, stderr: stderr ?? console,
                              clock: KernelWASI.clock, random: KernelWASI.random)
    for (fd, stream) in standardStreams.enumerated() {
      if let stream { context.setStandardStream(UInt32(fd), stream) }
    }
    if preopensRoot { context.addPreopen(KernelFiles.system.rootDirectory(), guestPath: "/") }
    for preopen in preopens { context.addPreopen(preopen.directory, guestPath: preopen.guestPath) }
    return context
  }
}

/// One WASI call at a time (the shared `MemoryFileSystem` is not thread-safe). Like a big kernel
/// lock it is let go while its holder sleeps or waits for input (`whileReleased`), so a blocked
/// program never holds up the others. Waiters yield the CPU.
enum WASILock {
  nonisolated(unsafe) static var holder: UInt32 = 0
  nonisolated(unsafe) static let guardLock = SharedSpinlock()

  static func acquire() {
    let me = Scheduler.currentTask.id
    while true {
      let taken = guardLock.withLock { () -> Bool in
        guard holder == 0 else { return false }
        holder = me
        return true
      }
      if taken { return }
      Scheduler.yield()
    }
  }

  static func release() {
    guardLock.withLock { holder = 0 }
  }

  /// Runs `body` (which may block) without the lock if the running task holds it.
  static func whileReleased(_ body: () -> Void) {
    let held = releaseIfHeld()
    body()
    if held { acquire() }
  }

  /// Releases the lock if the running task holds it; whether it did.
  static func releaseIfHeld() -> Bool {
    let me = Scheduler.currentTask.id
    return guardLock.withLock { () -> Bool in
      guard holder == me else { return false }
      holder = 0
      return true
    }
  }
}

/// Clocks: monotonic and CPU-time clocks from the TSC (microsecond resolution), realtime = the
/// CMOS clock read once at first use plus the time since.
final class KernelWASIClock: WASIClock {
  private var epochAtBoot: UInt64?

  func now(_ clock: WASIClockID) -> UInt64? {
    let sinceBoot = Clock.microsecondsSinceBoot() &* 1000
    switch clock {
    case .realtime:
      if epochAtBoot == nil {
        let seconds = CMOSClock.secondsSinceEpoch() ?? 1_767_225_600  // 2026-01-01 without an RTC
        epochAtBoot = (seconds &* 1_000_000_000) &- sinceBoot
      }
      return (epochAtBoot ?? 0) &+ sinceBoot
    case .monotonic, .processCPUTime, .threadCPUTime:
      return sinceBoot
    }
  }

  func resolution(_ clock: WASIClockID) -> UInt64? { 1000 }

  func sleep(nanoseconds: UInt64) {
    WASILock.whileReleased {
      if nanoseconds == 0 {
        Scheduler.yield()
        return
      }
      // In slices of at most 10 ms, so that a kill is noticed soon.
      let task = Scheduler.currentTask
      let end = Clock.microsecondsSinceBoot() &+ (nanoseconds + 999) / 1000
      while !task.killRequested {
        let now = Clock.microsecondsSinceBoot()
        guard now < end else { break }
        Scheduler.sleep(microseconds: min(end - now, 10_000))
      }
    }
  }
}

/// `random_get`: the kernel's generator (libc.c `arc4random_buf`, TSC-seeded; not for secrets).
final class KernelRandom: WASIRandomSource {
  func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
    var generator = SystemRandomNumberGenerator()
    var index = 0
    while index < buffer.count {
      var word = generator.next()
      var byteIndex = 0
      while byteIndex < 8, index < buffer.count {
        buffer[index] = UInt8(truncatingIfNeeded: word)
        word >>= 8
        byteIndex += 1
        index += 1
      }
    }
    return true
  }
}

/// The CMOS real-time clock (ports 0x70/0x71), read once for the realtime clock.
enum CMOSClock {
  static func register(_ index: UInt8) -> UInt8 {
    outb(0x70, index)
    return inb(0x71)
  }

  /// Seconds since 1970-01-01 UTC, or nil if there is no plausible clock.
  static func secondsSinceEpoch() -> UInt64? {
    // Wait out an update in progress (bit 7 of status A), at most ~1000 polls.
    var polls = 0
    while register(0x0A) & 0x80 != 0, polls < 1000 { polls += 1 }
    let statusB = register(0x0B)
    guard statusB != 0xFF else { return nil }
    let binary = statusB & 0x04 != 0
    func value(_ index: UInt8) -> UInt64 {
      let raw = register(index)
      let masked = index == 0x04 ? raw & 0x7F : raw
      let decoded = binary ? masked : (masked >> 4) * 10 + (masked & 0x0F)
      return UInt64(decoded)
    }
    let second = value(0x00), minute = value(0x02), day = value(0x07), month = value(0x08)
    var hour = value(0x04)
    if statusB & 0x02 == 0, register(0x04) & 0x80 != 0 { hour = (hour % 12) + 12 }  // 12-hour PM
    let year = 2000 + value(0x09)
    guard second < 60, minute < 60, hour < 24, (1...31).contains(day), (1...12).contains(month) else { return nil }
    // Days from the civil date (Howard Hinnant's algorithm), March-based years.
    let y = month <= 2 ? year - 1 : year
    let era = y / 400
    let yearOfEra = y - era * 400
    let shiftedMonth = month > 2 ? month - 3 : month + 9
    let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146_097 + dayOfEra - 719_468
    return days * 86_400 + hour * 3600 + minute * 60 + second
  }
}

extension TaskName {
  /// The name as a (heap) string: a program's `argv[0]`.
  var string: String {
    var bytes: [UInt8] = []
    for index in 0..<count { bytes.append(self.bytes[index]) }
    return String(decoding: bytes, as: UTF8.self)
  }
}
