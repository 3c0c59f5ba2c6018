@testable import WASIPreview1
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
  /// The preview 1 functions, defined under run-time copies of their names.
  ///
  /// The kernel defines WASIPreview1's table itself (`@testable import`: the build compiles
  /// WASIPreview1 with -enable-testing) instead of `WASIContext.define(in:store:)`: each call
  /// holds `WASILock`, so programs on several CPUs never touch the shared file system at the
  /// same time, and the names are heap copies (long literals at negative addresses are
  /// unusable in the kernel: kernel/README.md, "Embedded Swift facts").
  static func define(_ context: WASIContext, in linker: Linker, store: Store) {
    for function in functions {
      let name = function.name
      let body = function.body
      linker.defineFunction(store: store, module: module, name: name,
                            type: FunctionType(parameters: function.parameters, results: [.i32])) {
        [context] _, values throws(Trap) -> [Value] in
        guard let memory = context.memory else { throw Trap(kind: .memoryOutOfBounds) }
        WASILock.acquire()
        defer { WASILock.release() }
        do throws(WASIErrno) {
          try body(context, GuestMemory(memory), WASIArguments(values: values))
          return [.i32(0)]
        } catch {
          return [.i32(UInt32(error.rawValue))]
        }
      }
    }
    linker.defineFunction(store: store, module: module, name: exitName,
                          type: FunctionType(parameters: [.i32], results: [])) {
      [context] _, values throws(Trap) -> [Value] in
      throw context.exit(WASIArguments(values: values).u32(0))
    }
  }

  /// One preview 1 function with heap copies of its names.
  struct Function {
    var name: String
    var parameters: [ValueType]
    var body: WASIFunctionBody
  }

  /// "wasi_snapshot_preview1" and "proc_exit", built at run time.
  static let module: String = {
    var name = "wasi_snap"
    name += "shot_preview1"
    return name
  }()
  static let exitName: String = {
    var name = "proc_"
    name += "exit"
    return name
  }()

  /// `WASIContext.functions` with heap copies of the names. Copying a long literal `String`
  /// out of that table would retain it, which faults in the kernel (the object address is not
  /// canonical), so the names are read from the table's raw storage: each element is
  /// (name: String, signature: String, body: closure), 16 + 16 + 16 bytes.
  static let functions: [Function] = {
    typealias Element = (name: String, signature: String, body: WASIFunctionBody)
    var result: [Function] = []
    guard MemoryLayout<Element>.stride == 48 else {
      Log.error("wasi: unexpected layout of the function table; no WASI functions")
      return result
    }
    let known = knownNames()
    WASIContext.functions.withUnsafeBufferPointer { buffer in
      guard let start = buffer.baseAddress else { return }
      let base = UnsafeRawPointer(start)
      if known.count != buffer.count {
        Log.error("wasi: WASIPreview1 has \(buffer.count) functions, the kernel knows \(known.count)")
      }
      for index in 0..<buffer.count {
        let element = base + index * 48
        var name = copiedString(element.load(as: (UInt64, UInt64).self))
        // `copiedString` reads small strings and literals at negative addresses; a long name in
        // the low literal window (linker.ld .lowstr) comes back empty: take the kernel's copy.
        if index < known.count {
          if !name.isEmpty, name != known[index] {
            Log.error("wasi: function table and kernel names differ at \(index)")
          } else {
            name = known[index]
          }
        }
        let signature = copiedString(element.load(fromByteOffset: 16, as: (UInt64, UInt64).self))
        var parameters: [ValueType] = []
        for byte in signature.utf8 { parameters.append(byte == 73 ? .i64 : .i32) }  // "I"
        let body = element.load(fromByteOffset: 32, as: WASIFunctionBody.self)
        result.append(Function(name: name, parameters: parameters, body: body))
      }
    }
    return result
  }()

  /// WASIPreview1's function names in the order of `WASIContext.functions` (Linking.swift),
  /// copied from static strings at run time (keep in step with that table).
  static func knownNames() -> [String] {
    var names: [String] = []
    func add(_ name: StaticString) {
      names.append(String(decoding: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount),
                          as: UTF8.self))
    }
    add("args_get")
    add("args_sizes_get")
    add("environ_get")
    add("environ_sizes_get")
    add("clock_res_get")
    add("clock_time_get")
    add("fd_advise")
    add("fd_allocate")
    add("fd_close")
    add("fd_datasync")
    add("fd_fdstat_get")
    add("fd_fdstat_set_flags")
    add("fd_fdstat_set_rights")
    add("fd_filestat_get")
    add("fd_filestat_set_size")
    add("fd_filestat_set_times")
    add("fd_pread")
    add("fd_prestat_get")
    add("fd_prestat_dir_name")
    add("fd_pwrite")
    add("fd_read")
    add("fd_readdir")
    add("fd_renumber")
    add("fd_seek")
    add("fd_sync")
    add("fd_tell")
    add("fd_write")
    add("path_create_directory")
    add("path_filestat_get")
    add("path_filestat_set_times")
    add("path_link")
    add("path_open")
    add("path_readlink")
    add("path_remove_directory")
    add("path_rename")
    add("path_symlink")
    add("path_unlink_file")
    add("poll_oneoff")
    add("proc_raise")
    add("sched_yield")
    add("random_get")
    add("sock_accept")
    add("sock_recv")
    add("sock_send")
    add("sock_shutdown")
    return names
  }

  /// A heap copy of a string literal given as its two raw words: a small string (up to 15
  /// bytes inline) or a large literal in the kernel image, whose address Embedded Swift takes
  /// for a foreign string (see `KernelSpecRunner.readableString`). Anything else: "".
  static func copiedString(_ raw: (UInt64, UInt64)) -> String {
    let nibble = raw.1 >> 60
    if nibble == 0xF || nibble == 0x7 {
      let address = (raw.1 | 0xF000_0000_0000_0000) &+ 32
      let count = Int(raw.0 & 0x0000_FFFF_FFFF_FFFF)
      guard address >= linker_kernel_start(), address < linker_kernel_end(),
            UInt64(count) <= linker_kernel_end() - address,
            let pointer = UnsafePointer<UInt8>(bitPattern: UInt(address))
      else { return "" }
      return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
    guard nibble & 0x2 != 0 else { return "" }  // not small
    let count = Int((raw.1 >> 56) & 0xF)
    var bytes: [UInt8] = []
    for index in 0..<min(count, 15) {
      let word = index < 8 ? raw.0 : raw.1
      bytes.append(UInt8(truncatingIfNeeded: word >> UInt64((index % 8) * 8)))
    }
    return String(decoding: bytes, as: UTF8.self)
  }

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

  init(arguments: [String]) { self.arguments = arguments }

  /// The context of a program with this setup.
  func makeContext() -> WASIContext {
    let console = KernelWASI.console
    let context = WASIContext(arguments: arguments, environment: environment,
                              stdin: stdin ?? console, stdout: stdout ?? console, stderr: stderr ?? console,
                              clock: KernelWASI.clock, random: KernelWASI.random)
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
    let me = Scheduler.currentTask.id
    let held = guardLock.withLock { holder == me }
    if held { release() }
    body()
    if held { acquire() }
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
      } else {
        Scheduler.sleep(microseconds: (nanoseconds + 999) / 1000)
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

/// The serial console as a character device: writes go to COM1 as they are (no log prefix),
/// reads wait for input (polling the UART every 10 ms while the task sleeps, so a waiting
/// program costs no CPU) and return a line (or a full buffer, or what came before the input
/// paused for 100 ms); carriage returns read as newlines; no echo.
final class SerialConsoleFile: WASIFile {
  var filetype: WASIFiletype { .characterDevice }

  func stat() throws(WASIErrno) -> WASIFileStat { WASIFileStat(filetype: .characterDevice) }

  func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
    Console.withLock {
      for byte in bytes { Console.writeByteUnlocked(byte) }
    }
    return bytes.count
  }

  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64?) throws(WASIErrno) -> Int {
    guard buffer.count > 0 else { return 0 }
    var count = 0
    var quietPolls = 0
    while true {
      var sawNewline = false
      let before = count
      Console.withLock {
        while count < buffer.count, !sawNewline, let byte = Console.port.readIfAvailable() {
          buffer[count] = byte == 13 ? 10 : byte
          sawNewline = buffer[count] == 10
          count += 1
        }
      }
      // A whole line, a full buffer, or what arrived before the line went quiet for 100 ms
      // (the UART holds only 16 bytes: a longer line arrives in parts).
      if sawNewline || count == buffer.count || (count > 0 && quietPolls >= 10) { return count }
      quietPolls = count > before ? 0 : quietPolls + 1
      WASILock.whileReleased { Scheduler.sleep(microseconds: 10_000) }
    }
  }

  func isReady(forWriting: Bool) -> Bool {
    forWriting || Console.port.hasInput
  }
}

extension SerialPort {
  /// Whether a received byte is waiting (line status bit 0; a missing UART reads 0xFF).
  var hasInput: Bool {
    let status = inb(base + 5)
    return status != 0xFF && status & 1 != 0
  }

  /// The next received byte, or nil if none has arrived.
  func readIfAvailable() -> UInt8? {
    hasInput ? inb(base) : nil
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
