import WASIPreview1

/// Where programs' standard input comes from: the bytes the UART receives or, when the boot
/// image holds a console script (`apus run --exec`, image entry kind 7), that script and then
/// end of input — so a shell session runs without a person and ends.
///
/// `pending` holds bytes taken from the UART while a waiting shell looked for ^C (they belong
/// to the next reader). Everything here is guarded by the console lock (`Console.withLock`),
/// which also serialises the UART.
enum ConsoleInput {
  nonisolated(unsafe) static var pending: [UInt8] = []
  nonisolated(unsafe) static var script: UnsafeRawBufferPointer?
  nonisolated(unsafe) static var scriptPosition = 0

  static let interruptByte: UInt8 = 3  // ^C

  enum Next {
    case byte(UInt8)
    /// Nothing has arrived yet.
    case nothing
    /// The console script is used up: end of input.
    case end
  }

  /// Uses the image's first console script, if any, as the input.
  static func loadScript(from image: BootImage) {
    for entry in image.entries where entry.kind == .consoleScript {
      Console.withLock {
        script = entry.data
        scriptPosition = 0
      }
      Log.info("console: input from the boot image's script (\(entry.data.count) bytes), then end of input")
      return
    }
  }

  /// Takes the next input byte (caller holds the console lock).
  static func nextUnlocked() -> Next {
    if !pending.isEmpty { return .byte(pending.removeFirst()) }
    if let script {
      guard scriptPosition < script.count else { return .end }
      scriptPosition += 1
      return .byte(script[scriptPosition - 1])
    }
    if let byte = Console.port.readIfAvailable() { return .byte(byte) }
    return .nothing
  }

  /// Whether the next input byte is ^C; if so it is consumed (another byte stays queued).
  static func takeInterrupt() -> Bool {
    var interrupted = false
    Console.withLock {
      if let first = pending.first {
        if first == interruptByte {
          pending.removeFirst()
          interrupted = true
        }
        return
      }
      if let script {
        if scriptPosition < script.count, script[scriptPosition] == interruptByte {
          scriptPosition += 1
          interrupted = true
        }
        return
      }
      guard let byte = Console.port.readIfAvailable() else { return }
      if byte == interruptByte { interrupted = true } else { pending.append(byte) }
    }
    return interrupted
  }

  /// Whether a read would return at once (input queued, or end of input).
  static var isReady: Bool {
    var ready = false
    Console.withLock {
      if !pending.isEmpty {
        ready = true
      } else if script != nil {
        ready = true
      } else {
        ready = Console.port.hasInput
      }
    }
    return ready
  }
}

/// ^C on the console kills the foreground program (`Programs.foregroundProgram`): a kernel
/// task looks for it every 10 ms while there is one. Other input stays queued for readers, and
/// a ^C typed while no program runs in the foreground reaches the shell (it drops the line).
enum ConsoleInterrupts {
  nonisolated(unsafe) static var started = false

  static func start() {
    guard !started else { return }
    started = true
    var name = TaskName()
    name.append("console")
    Scheduler.spawnKernelTask(named: name) {
      while true {
        Scheduler.sleep(microseconds: 10_000)
        guard let pid = Programs.foregroundProgram(), ConsoleInput.takeInterrupt() else { continue }
        Console.withLock { Console.writeUnlocked("^C\r\n") }
        _ = Programs.kill(pid, by: nil)
      }
    }
  }
}

/// The serial console as a character device: writes go to COM1 as they are (no log prefix),
/// reads wait for input (`ConsoleInput`; the UART is polled every 10 ms while the task sleeps,
/// so a waiting program costs no CPU) and return a line (or a full buffer, or what came before
/// the input paused for 100 ms); carriage returns read as newlines; no echo. A read of a
/// program that is being killed ends with EINTR.
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
      var ended = false
      let before = count
      Console.withLock {
        reading: while count < buffer.count, !sawNewline {
          switch ConsoleInput.nextUnlocked() {
          case .byte(let byte):
            buffer[count] = byte == 13 ? 10 : byte
            sawNewline = buffer[count] == 10
            count += 1
          case .nothing:
            break reading
          case .end:
            ended = true
            break reading
          }
        }
      }
      // A whole line, a full buffer, or what arrived before the line went quiet for 100 ms
      // (the UART holds only 16 bytes: a longer line arrives in parts).
      if sawNewline || count == buffer.count || (count > 0 && (quietPolls >= 10 || ended)) { return count }
      if ended { return 0 }
      if Scheduler.currentTask.killRequested { throw .interrupted }
      quietPolls = count > before ? 0 : quietPolls + 1
      WASILock.whileReleased { Scheduler.sleep(microseconds: 10_000) }
    }
  }

  func isReady(forWriting: Bool) -> Bool {
    forWriting || ConsoleInput.isReady
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
