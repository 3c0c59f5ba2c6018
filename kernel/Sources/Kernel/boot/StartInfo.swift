/// One range of the firmware memory map (E820 types).
struct MemoryRegion {
  var base: UInt64
  var length: UInt64
  var type: UInt32

  var end: UInt64 { base &+ length }
  var isUsable: Bool { type == 1 }

  var typeName: StaticString {
    switch type {
    case 1: return "usable"
    case 2: return "reserved"
    case 3: return "ACPI reclaimable"
    case 4: return "ACPI NVS"
    case 5: return "bad memory"
    default: return "other"
    }
  }
}

/// What the PVH loader hands the kernel (`struct hvm_start_info`), copied out of low memory so
/// the frame allocator can reuse every usable byte.
struct BootInfo {
  static let magic: UInt32 = 0x336E_C578
  static let maximumRegions = 64
  static let commandLineCapacity = 256

  var regions = InlineArray<64, MemoryRegion>(repeating: MemoryRegion(base: 0, length: 0, type: 0))
  var regionCount = 0
  var commandLine = InlineArray<256, UInt8>(repeating: 0)
  var commandLineLength = 0
  var rsdpPhysical: UInt64 = 0
  /// Boot modules (QEMU `-initrd`): physical ranges the frame allocator must not hand out.
  static let maximumModules = 8
  var modules = InlineArray<8, (base: UInt64, size: UInt64)>(repeating: (0, 0))
  var moduleCount = 0

  /// Reads the start info at physical `address` through the boot direct map.
  static func read(startInfoPhysical address: UInt64) -> BootInfo {
    var info = BootInfo()
    let base = KernelMemory.directMap.pointer(to: address)
    guard base.load(fromByteOffset: 0, as: UInt32.self) == magic else {
      panic("PVH start info at \(hex: address) has a bad magic number")
    }
    let version = base.load(fromByteOffset: 4, as: UInt32.self)
    let commandLinePhysical = base.load(fromByteOffset: 24, as: UInt64.self)
    info.rsdpPhysical = base.load(fromByteOffset: 32, as: UInt64.self)

    if commandLinePhysical != 0 {
      let text = KernelMemory.directMap.pointer(to: commandLinePhysical)
        .assumingMemoryBound(to: UInt8.self)
      while info.commandLineLength < commandLineCapacity - 1, text[info.commandLineLength] != 0 {
        info.commandLine[info.commandLineLength] = text[info.commandLineLength]
        info.commandLineLength += 1
      }
    }

    // Modules: count at 8, list at 16 (hvm_modlist_entry: paddr, size, cmdline, reserved).
    let moduleCount = Int(base.load(fromByteOffset: 8, as: UInt32.self))
    let moduleList = base.load(fromByteOffset: 16, as: UInt64.self)
    if moduleCount > 0, moduleList != 0 {
      let list = KernelMemory.directMap.pointer(to: moduleList)
      for index in 0..<min(moduleCount, maximumModules) {
        let entry = list.advanced(by: index * 32)
        let size = entry.load(fromByteOffset: 8, as: UInt64.self)
        guard size > 0 else { continue }
        info.modules[info.moduleCount] = (entry.load(fromByteOffset: 0, as: UInt64.self), size)
        info.moduleCount += 1
      }
    }

    // QEMU's PVH boot ROM passes no modules; it reports the initrd through fw_cfg instead.
    if info.moduleCount == 0, let initrd = FirmwareConfig.initrd() {
      info.modules[0] = initrd
      info.moduleCount = 1
      Log.info("boot module: initrd at \(hex: initrd.base), \(bytes: initrd.size) (fw_cfg)")
    }

    guard version >= 1 else { panic("PVH start info version \(version) has no memory map") }
    let mapPhysical = base.load(fromByteOffset: 40, as: UInt64.self)
    let entries = Int(base.load(fromByteOffset: 48, as: UInt32.self))
    let map = KernelMemory.directMap.pointer(to: mapPhysical)
    for index in 0..<min(entries, maximumRegions) {
      let entry = map.advanced(by: index * 24)
      info.regions[index] = MemoryRegion(
        base: entry.load(fromByteOffset: 0, as: UInt64.self),
        length: entry.load(fromByteOffset: 8, as: UInt64.self),
        type: entry.load(fromByteOffset: 16, as: UInt32.self))
    }
    info.regionCount = min(entries, maximumRegions)
    if entries > maximumRegions { Log.warning("memory map: \(entries) entries, using \(maximumRegions)") }
    return info
  }

  /// Whether the command line contains `option` as a whole word (e.g. `test=panic`).
  func hasOption(_ option: StaticString) -> Bool {
    var found = false
    option.withUTF8Buffer { wanted in
      var start = 0
      while start < commandLineLength {
        var end = start
        while end < commandLineLength, commandLine[end] != 32 { end += 1 }
        if end - start == wanted.count {
          var equal = true
          for offset in 0..<wanted.count where commandLine[start + offset] != wanted[offset] {
            equal = false
          }
          if equal { found = true }
        }
        start = end + 1
      }
    }
    return found
  }

  func logMemoryMap() {
    var usable: UInt64 = 0
    Log.info("memory map (\(regionCount) regions):")
    for index in 0..<regionCount where regions[index].length > 0 {
      let region = regions[index]
      Log.info("  [\(hex: region.base, digits: 12) - \(hex: region.end &- 1, digits: 12)] \(bytes: region.length) \(region.typeName)")
      if region.isUsable { usable &+= region.length }
    }
    Log.info("memory map: \(bytes: usable) usable")
  }

  func logCommandLine() {
    var text = TextBuffer()
    text.append("command line: \"")
    for index in 0..<commandLineLength { text.append(byte: commandLine[index]) }
    text.append("\"")
    Log.info(LogMessage(text))
  }
}
