/// A 16550-compatible UART driven by port I/O (COM1 at 0x3F8 on PC-compatible machines).
struct SerialPort {
  let base: UInt16

  /// 115200 baud, 8N1, FIFOs on, no interrupts.
  func initialize() {
    outb(base + 1, 0x00)  // interrupts off
    outb(base + 3, 0x80)  // DLAB: divisor follows
    outb(base + 0, 0x01)  // divisor 1 = 115200 baud
    outb(base + 1, 0x00)
    outb(base + 3, 0x03)  // 8 bits, no parity, one stop bit
    outb(base + 2, 0xC7)  // FIFO on, cleared, 14-byte threshold
    outb(base + 4, 0x03)  // DTR, RTS
  }

  /// Waits for room in the transmitter (bit 5 of the line status), then sends one byte.
  /// A missing UART reads as 0xFF, so this never spins forever.
  func write(_ byte: UInt8) {
    while inb(base + 5) & 0x20 == 0 { cpu_pause() }
    outb(base, byte)
  }
}
