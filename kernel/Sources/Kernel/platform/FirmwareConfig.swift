/// QEMU's firmware configuration device (fw_cfg, I/O ports 0x510/0x511). With PVH boot QEMU
/// does not list `-initrd` as a start-info module; it announces the initrd's load address and
/// size here (and its bytes, should the boot ROM not have copied them to memory).
enum FirmwareConfig {
  static let selectorPort: UInt16 = 0x510
  static let dataPort: UInt16 = 0x511

  static let signature: UInt16 = 0x00
  static let initrdAddress: UInt16 = 0x0A
  static let initrdSize: UInt16 = 0x0B
  static let initrdData: UInt16 = 0x12

  static var isPresent: Bool {
    select(signature)
    return readUInt32() == 0x554D_4551  // "QEMU"
  }

  static func select(_ key: UInt16) { outw(selectorPort, key) }

  static func readUInt32() -> UInt32 {
    var value: UInt32 = 0
    for shift in stride(from: UInt32(0), to: 32, by: 8) { value |= UInt32(inb(dataPort)) << shift }
    return value
  }

  static func read(_ key: UInt16) -> UInt32 {
    select(key)
    return readUInt32()
  }

  /// The initrd QEMU was given: (physical address, size), or nil.
  static func initrd() -> (base: UInt64, size: UInt64)? {
    guard isPresent else { return nil }
    let size = UInt64(read(initrdSize))
    guard size > 0 else { return nil }
    return (UInt64(read(initrdAddress)), size)
  }
}
