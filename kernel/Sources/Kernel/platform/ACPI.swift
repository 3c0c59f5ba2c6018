/// One IO APIC of the MADT: its registers and the first GSI (global system interrupt) it serves.
struct IOAPICEntry {
  var address: UInt64
  var firstGSI: UInt32
}

/// The little of ACPI the kernel needs now: the MADT's list of processors (local APIC IDs)
/// for SMP start-up, the local/IO APIC addresses, and where the DSDT is (devices/ reads the
/// virtio-mmio devices from it).
struct ACPIProcessors {
  static let capacity = 64
  static let ioAPICCapacity = 4
  var apicIDs = InlineArray<64, UInt32>(repeating: 0)
  var count = 0
  var localAPICAddress: UInt64 = 0
  var ioAPICs = InlineArray<4, IOAPICEntry>(repeating: IOAPICEntry(address: 0, firstGSI: 0))
  var ioAPICCount = 0
  /// Physical address of the DSDT (0: none found).
  var dsdtAddress: UInt64 = 0

  /// The first IO APIC's address (0: none), for the boot log.
  var ioAPICAddress: UInt64 { ioAPICCount > 0 ? ioAPICs[0].address : 0 }

  /// Finds the RSDP (from the boot info, else by scanning the BIOS area), then the MADT.
  /// Returns nil when the machine has no usable ACPI tables.
  static func discover(rsdpHint: UInt64) -> ACPIProcessors? {
    guard let rsdp = rsdpHint != 0 ? rsdpHint : scanForRSDP() else { return nil }
    let header = KernelMemory.firmwareTable(rsdp, length: 36)
    guard read8(header, 0) == tag8("RSD PTR ") else { return nil }
    let revision = header.load(fromByteOffset: 15, as: UInt8.self)
    let useXSDT = revision >= 2
    let root = useXSDT
      ? header.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
      : UInt64(header.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
    guard let madt = findTable(root: root, entrySize: useXSDT ? 8 : 4, wanted: tag4("APIC")) else {
      return nil
    }
    var result = parseMADT(madt)
    // The FADT points at the DSDT: 32-bit at offset 40, the 64-bit X_DSDT at 140 (ACPI 2+).
    if let fadt = findTable(root: root, entrySize: useXSDT ? 8 : 4, wanted: tag4("FACP")) {
      let length = KernelMemory.firmwareTable(fadt, length: 8).load(fromByteOffset: 4, as: UInt32.self)
      let table = KernelMemory.firmwareTable(fadt, length: UInt64(length))
      var dsdt = length >= 44 ? UInt64(table.loadUnaligned(fromByteOffset: 40, as: UInt32.self)) : 0
      if length >= 148, case let wide = table.loadUnaligned(fromByteOffset: 140, as: UInt64.self), wide != 0 {
        dsdt = wide
      }
      result.dsdtAddress = dsdt
    }
    return result
  }

  /// The DSDT's AML bytes (after its 36-byte header), or nil. The table stays mapped (firmware
  /// memory in the direct map, read-only where the memory map left it out).
  func dsdtBody() -> UnsafeRawBufferPointer? {
    guard dsdtAddress != 0 else { return nil }
    let header = KernelMemory.firmwareTable(dsdtAddress, length: 36)
    guard header.loadUnaligned(fromByteOffset: 0, as: UInt32.self) == ACPIProcessors.tag4("DSDT") else { return nil }
    let length = Int(header.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    guard length > 36, length < 1 << 20 else { return nil }
    let table = KernelMemory.firmwareTable(dsdtAddress, length: UInt64(length))
    return UnsafeRawBufferPointer(start: table + 36, count: length - 36)
  }

  private static func parseMADT(_ physical: UInt64) -> ACPIProcessors {
    var result = ACPIProcessors()
    let length = Int(KernelMemory.firmwareTable(physical, length: 8).load(fromByteOffset: 4, as: UInt32.self))
    let table = KernelMemory.firmwareTable(physical, length: UInt64(length))
    result.localAPICAddress = UInt64(table.loadUnaligned(fromByteOffset: 36, as: UInt32.self))
    var offset = 44
    while offset + 2 <= length {
      let type = table.load(fromByteOffset: offset, as: UInt8.self)
      let entryLength = Int(table.load(fromByteOffset: offset + 1, as: UInt8.self))
      guard entryLength >= 2, offset + entryLength <= length else { break }
      switch type {
      case 0 where entryLength >= 8:  // processor local APIC
        let apicID = UInt32(table.load(fromByteOffset: offset + 3, as: UInt8.self))
        let flags = table.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
        if flags & 3 != 0, result.count < capacity {  // enabled or online-capable
          result.apicIDs[result.count] = apicID
          result.count += 1
        }
      case 1 where entryLength >= 12:  // IO APIC: id, reserved, address, first GSI
        if result.ioAPICCount < ioAPICCapacity {
          result.ioAPICs[result.ioAPICCount] = IOAPICEntry(
            address: UInt64(table.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)),
            firstGSI: table.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
          result.ioAPICCount += 1
        }
      case 5 where entryLength >= 12:  // 64-bit local APIC address override
        result.localAPICAddress = table.loadUnaligned(fromByteOffset: offset + 4, as: UInt64.self)
      default:
        break
      }
      offset += entryLength
    }
    return result
  }

  private static func findTable(root: UInt64, entrySize: Int, wanted: UInt32) -> UInt64? {
    let rootLength = KernelMemory.firmwareTable(root, length: 8).load(fromByteOffset: 4, as: UInt32.self)
    guard rootLength >= 36, rootLength < 1 << 20 else { return nil }
    let table = KernelMemory.firmwareTable(root, length: UInt64(rootLength))
    var offset = 36
    while offset + entrySize <= Int(rootLength) {
      let address = entrySize == 8
        ? table.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        : UInt64(table.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
      if address != 0, read4(KernelMemory.firmwareTable(address, length: 36), 0) == wanted {
        return address
      }
      offset += entrySize
    }
    return nil
  }

  /// The RSDP is 16-byte aligned in the BIOS area 0xE0000–0xFFFFF on PC-compatibles.
  private static func scanForRSDP() -> UInt64? {
    let area = KernelMemory.firmwareTable(0xE0000, length: 0x20000)
    let wanted = tag8("RSD PTR ")
    for offset in stride(from: 0, to: 0x20000, by: 16) where read8(area, offset) == wanted {
      var sum: UInt8 = 0
      for index in 0..<20 { sum &+= area.load(fromByteOffset: offset + index, as: UInt8.self) }
      if sum == 0 { return 0xE0000 + UInt64(offset) }
    }
    return nil
  }

  // Signatures compared as little-endian integers (4 or 8 bytes).
  private static func tag8(_ text: StaticString) -> UInt64 {
    var value: UInt64 = 0
    text.withUTF8Buffer { bytes in
      for index in 0..<min(bytes.count, 8) { value |= UInt64(bytes[index]) << UInt64(8 * index) }
    }
    return value
  }

  private static func tag4(_ text: StaticString) -> UInt32 { UInt32(truncatingIfNeeded: tag8(text)) }

  private static func read8(_ pointer: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
  }

  private static func read4(_ pointer: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    pointer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
  }
}
