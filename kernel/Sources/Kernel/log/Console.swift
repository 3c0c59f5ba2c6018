/// The kernel console: the COM1 serial port, shared by all CPUs under one spinlock.
enum Console {
  nonisolated(unsafe) static var port = SerialPort(base: 0x3F8)
  nonisolated(unsafe) static var lock = Spinlock()

  static func initialize() { port.initialize() }

  /// Runs `body` holding the console lock (interrupts off), so lines from CPUs do not mix.
  static func withLock(_ body: () -> Void) {
    let flags = lock.acquireDisablingInterrupts()
    body()
    lock.releaseRestoringInterrupts(flags)
  }

  static func writeByteUnlocked(_ byte: UInt8) { port.write(byte) }

  static func writeUnlocked(_ text: TextBuffer) {
    for index in 0..<text.count { port.write(text.bytes[index]) }
  }

  static func writeUnlocked(_ text: StaticString) {
    text.withUTF8Buffer { buffer in
      for byte in buffer { port.write(byte) }
    }
  }

  /// Writes a whole line without the log prefix (panic reports, test markers).
  static func printLine(_ message: LogMessage) {
    withLock {
      writeUnlocked(message.text)
      writeByteUnlocked(10)
    }
  }
}

/// `putchar` for the Swift runtime (`print`, fatal-error messages).
@_cdecl("kernel_console_write_byte")
func kernelConsoleWriteByte(_ byte: UInt8) {
  Console.port.write(byte)
}
