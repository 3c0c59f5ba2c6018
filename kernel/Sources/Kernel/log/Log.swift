/// Severity of a kernel log line; lines below `Log.threshold` are not printed.
enum LogLevel: UInt8 {
  case debug, info, warning, error

  var label: StaticString {
    switch self {
    case .debug: return "DEBUG"
    case .info: return "INFO "
    case .warning: return "WARN "
    case .error: return "ERROR"
    }
  }
}

/// The kernel log: one line per message on the console, prefixed with the time since boot,
/// the CPU number and the level:
///
///     [    0.012345] cpu0 INFO  memory: 127 MiB usable
enum Log {
  nonisolated(unsafe) static var threshold = LogLevel.info

  static func debug(_ message: LogMessage) { write(.debug, message) }
  static func info(_ message: LogMessage) { write(.info, message) }
  static func warning(_ message: LogMessage) { write(.warning, message) }
  static func error(_ message: LogMessage) { write(.error, message) }

  static func write(_ level: LogLevel, _ message: LogMessage) {
    guard level.rawValue >= threshold.rawValue else { return }
    Console.withLock {
      Console.writeUnlocked(linePrefix(level))
      Console.writeUnlocked(message.text)
      if message.text.truncated { Console.writeUnlocked("…") }
      Console.writeByteUnlocked(10)
    }
  }

  /// "[    1.234567] cpu0 INFO  "
  static func linePrefix(_ level: LogLevel) -> TextBuffer {
    let micros = Clock.microsecondsSinceBoot()
    var prefix = TextBuffer()
    prefix.append("[")
    prefix.appendInterpolation(micros / 1_000_000, width: 5)
    prefix.append(".")
    let fraction = micros % 1_000_000
    var divisor: UInt64 = 100_000
    while divisor > 0 {
      prefix.append(byte: UInt8(truncatingIfNeeded: (fraction / divisor) % 10) + 48)
      divisor /= 10
    }
    prefix.append("] cpu")
    prefix.appendInterpolation(PerCPU.currentNumber)
    prefix.append(" ")
    prefix.append(level.label)
    prefix.append(" ")
    return prefix
  }
}
