/// Where a virtio-mmio device is: its register window and its interrupt line (GSI).
struct VirtioMMIOWindow: Equatable {
  var base: UInt64
  var size: UInt64
  var gsi: UInt32
}

/// Finds virtio-mmio devices from what the machine says about them — pure functions over
/// bytes (host-tested in kernel/tests/host). QEMU's `microvm` describes each transport that has
/// a device in its DSDT (with ACPI, the default) or, without ACPI, on the kernel command line.
enum VirtioMMIODiscovery {
  /// At most this many devices are taken from either source.
  static let capacity = 16

  /// The `virtio_mmio.device=SIZE@BASE:IRQ[:ID]` words of a Linux-style command line (SIZE
  /// with an optional K/M/G suffix; numbers decimal or 0x hex). Malformed words are skipped.
  static func parseCommandLine(_ line: UnsafeBufferPointer<UInt8>) -> [VirtioMMIOWindow] {
    var windows: [VirtioMMIOWindow] = []
    let key: StaticString = "virtio_mmio.device="
    var start = 0
    while start < line.count, windows.count < capacity {
      var end = start
      while end < line.count, line[end] != 32 { end += 1 }
      if let value = stripPrefix(key, line, start, end), let window = parseDevice(line, value, end) {
        windows.append(window)
      }
      start = end + 1
    }
    return windows
  }

  /// SIZE@BASE:IRQ[:ID] in line[start..<end].
  private static func parseDevice(_ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> VirtioMMIOWindow? {
    var position = start
    guard var size = number(line, &position, end) else { return nil }
    if position < end {
      switch line[position] {
      case UInt8(ascii: "K"), UInt8(ascii: "k"): size <<= 10; position += 1
      case UInt8(ascii: "M"), UInt8(ascii: "m"): size <<= 20; position += 1
      case UInt8(ascii: "G"), UInt8(ascii: "g"): size <<= 30; position += 1
      default: break
      }
    }
    guard position < end, line[position] == UInt8(ascii: "@") else { return nil }
    position += 1
    guard let base = number(line, &position, end), position < end, line[position] == UInt8(ascii: ":") else { return nil }
    position += 1
    guard let irq = number(line, &position, end), irq <= 255 else { return nil }
    // An optional ":ID" (the platform device id Linux gives it) is ignored.
    if position < end {
      guard line[position] == UInt8(ascii: ":") else { return nil }
      position += 1
      guard number(line, &position, end) != nil, position == end else { return nil }
    }
    guard size > 0, size <= 1 << 20, base & 3 == 0, base &+ size > base else { return nil }
    return VirtioMMIOWindow(base: base, size: size, gsi: UInt32(irq))
  }

  /// A decimal or 0x-hexadecimal number at `position`, advancing past it (at most 16 digits).
  private static func number(_ line: UnsafeBufferPointer<UInt8>, _ position: inout Int, _ end: Int) -> UInt64? {
    var radix: UInt64 = 10
    if position + 1 < end, line[position] == UInt8(ascii: "0"),
       line[position + 1] == UInt8(ascii: "x") || line[position + 1] == UInt8(ascii: "X") {
      radix = 16
      position += 2
    }
    var value: UInt64 = 0
    var digits = 0
    while position < end, digits < 17 {
      let byte = line[position]
      let digit: UInt64
      if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { digit = UInt64(byte - UInt8(ascii: "0")) }
      else if radix == 16, byte >= UInt8(ascii: "a"), byte <= UInt8(ascii: "f") { digit = UInt64(byte - UInt8(ascii: "a") + 10) }
      else if radix == 16, byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "F") { digit = UInt64(byte - UInt8(ascii: "A") + 10) }
      else { break }
      value = value &* radix &+ digit
      digits += 1
      position += 1
    }
    return digits > 0 && digits <= 16 ? value : nil
  }

  /// The index after `prefix` if line[start..<end] starts with it.
  private static func stripPrefix(_ prefix: StaticString, _ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
    var result: Int? = nil
    prefix.withUTF8Buffer { wanted in
      guard end - start > wanted.count else { return }
      for index in 0..<wanted.count where line[start + index] != wanted[index] { return }
      result = start + wanted.count
    }
    return result
  }

  /// The virtio-mmio devices a DSDT (its AML, after the header) declares: each device whose
  /// `_HID` is the string "LNRO0005" (the ACPI id of virtio-mmio) and whose `_CRS` resource
  /// template follows with a 32-bit fixed memory range and an extended interrupt, as QEMU's
  /// microvm writes them. Not an AML interpreter: it reads the resource descriptors after
  /// each such `_HID` (within the next 128 bytes, before the next `_HID`), and skips a device
  /// whose descriptors it does not find.
  static func scanDSDT(_ aml: UnsafeRawBufferPointer) -> [VirtioMMIOWindow] {
    var windows: [VirtioMMIOWindow] = []
    let hid: [UInt8] = [0x0D] + Array("LNRO0005".utf8) + [0]  // AML String prefix, text, NUL
    var index = 0
    while index + hid.count <= aml.count, windows.count < capacity {
      guard matches(aml, index, hid) else {
        index += 1
        continue
      }
      index += hid.count
      let limit = min(aml.count, index + 128)
      var base: UInt64?
      var size: UInt64 = 0
      var gsi: UInt32?
      var cursor = index
      while cursor < limit, gsi == nil {
        if matches(aml, cursor, [0x0D, 0x4C, 0x4E, 0x52, 0x4F]) { break }  // the next device's _HID
        // Memory32Fixed: 0x86, length 9 (u16), information, base (u32), length (u32).
        if base == nil, cursor + 12 <= aml.count, aml[cursor] == 0x86, aml[cursor + 1] == 9, aml[cursor + 2] == 0 {
          base = UInt64(little32(aml, cursor + 4))
          size = UInt64(little32(aml, cursor + 8))
          cursor += 12
          continue
        }
        // Extended Interrupt: 0x89, length (u16, at least 6), flags, count, then u32 GSIs.
        if base != nil, cursor + 9 <= aml.count, aml[cursor] == 0x89, aml[cursor + 2] == 0, aml[cursor + 1] >= 6,
           aml[cursor + 4] >= 1 {
          gsi = little32(aml, cursor + 5)
          break
        }
        cursor += 1
      }
      if let base, let gsi, size > 0, size <= 1 << 20, gsi <= 255 {
        windows.append(VirtioMMIOWindow(base: base, size: size, gsi: gsi))
      }
    }
    return windows
  }

  private static func matches(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ pattern: [UInt8]) -> Bool {
    guard at + pattern.count <= bytes.count else { return false }
    for offset in 0..<pattern.count where bytes[at + offset] != pattern[offset] { return false }
    return true
  }

  private static func little32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
  }
}
