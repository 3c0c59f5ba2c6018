/// Leaves QEMU through the `isa-debug-exit` device (iobase 0xf4): QEMU exits with status
/// `(value << 1) | 1`. A triple fault exits 0, so 0 never means success.
enum QemuExit {
  /// QEMU exit status 33.
  static let successValue: UInt32 = 0x10
  /// QEMU exit status 35.
  static let failureValue: UInt32 = 0x11

  static func success() -> Never { exit(successValue) }
  static func failure() -> Never { exit(failureValue) }

  static func exit(_ value: UInt32) -> Never {
    outl(0xF4, value)
    // Without the device (real hardware), stop here.
    CPU.haltForever()
  }
}
