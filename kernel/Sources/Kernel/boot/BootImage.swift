/// The boot image: programs handed to the kernel by the boot loader as a module (QEMU
/// `-initrd`), in the Apus archive format written by kernel/tools/mkimage:
///
///     offset 0   magic "APUSIMG1" (8 bytes)
///     offset 8   UInt32 entry count
///     offset 12  UInt32 reserved (0)
///     offset 16  entries, 48 bytes each:
///                  UInt64 data offset (from the archive start), UInt64 data size,
///                  UInt32 kind (1 = flat x86_64 user program, 2 = WebAssembly module,
///                  3 = spec bundle, 4 = file, 5 = directory, 6 = symbolic link,
///                  7 = console script),
///                  UInt32 reserved, 24 bytes name (UTF-8, NUL-padded)
///                Kinds 4–6 seed the kernel's file system (KernelFiles.swift); their data
///                starts with UInt32 path length and the path (relative, `/`-separated, any
///                length), then the file's contents or the link's target (the name field
///                holds the path's last component, shortened: for logs only).
///     data       each entry's bytes, 16-byte aligned
///
/// All integers little-endian. The kernel checks every offset and size against the module's
/// length: a malformed image is reported and ignored, never trusted.
struct BootImage {
  enum Kind: UInt32 {
    case flatProgram = 1
    case wasmModule = 2
    /// A spec bundle (`apus wast --in-kernel`), run by `run=spec` (KernelSpecRunner).
    case specBundle = 3
    /// File-system entries (data: UInt32 path length, path, then contents or link target).
    case file = 4
    case directory = 5
    case symbolicLink = 6
    /// Bytes the console reads before end of input, instead of the UART (`apus run --exec`).
    case consoleScript = 7
  }

  struct Entry {
    var name = TaskName()
    var kind: Kind
    var data: UnsafeRawBufferPointer
  }

  static let magic: UInt64 = 0x3147_4D49_5355_5041  // "APUSIMG1"
  static let headerSize = 16
  static let entrySize = 48
  static let maximumEntries = 1024

  var entries: [Entry] = []

  /// The archive in boot module `index`, or nil (with a warning) if it is not a valid one.
  static func load(_ boot: BootInfo) -> BootImage? {
    guard boot.moduleCount > 0 else { return nil }
    let module = boot.modules[0]
    let base = UnsafeRawPointer(KernelMemory.directMap.pointer(to: module.base))
    return parse(UnsafeRawBufferPointer(start: base, count: Int(module.size)))
  }

  static func parse(_ bytes: UnsafeRawBufferPointer) -> BootImage? {
    guard bytes.count >= headerSize, let base = bytes.baseAddress,
          base.loadUnaligned(as: UInt64.self) == magic
    else {
      Log.warning("boot image: no APUSIMG1 archive in the boot module")
      return nil
    }
    let count = Int(base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    guard count <= maximumEntries, headerSize + count * entrySize <= bytes.count else {
      Log.warning("boot image: \(count) entries do not fit in \(bytes.count) bytes")
      return nil
    }
    var image = BootImage()
    for index in 0..<count {
      let entry = base + headerSize + index * entrySize
      let offset = entry.loadUnaligned(as: UInt64.self)
      let size = entry.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
      let rawKind = entry.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
      guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count) - offset else {
        Log.warning("boot image: entry \(index) lies outside the archive")
        return nil
      }
      guard let kind = Kind(rawValue: rawKind) else {
        Log.warning("boot image: entry \(index) has unknown kind \(rawKind); skipped")
        continue
      }
      var name = TaskName()
      for position in 0..<24 {
        let byte = entry.load(fromByteOffset: 24 + position, as: UInt8.self)
        if byte == 0 { break }
        name.append(byte: byte)
      }
      image.entries.append(Entry(
        name: name, kind: kind, data: UnsafeRawBufferPointer(start: base + Int(offset), count: Int(size))))
    }
    return image
  }

  /// Logs the contents and starts every flat program (WebAssembly programs are started by
  /// `init`); returns the tasks started.
  func startPrograms() -> [Task] {
    var tasks: [Task] = []
    for entry in entries {
      var line = TextBuffer()
      line.append("boot image: ")
      for index in 0..<entry.name.count { line.append(byte: entry.name.bytes[index]) }
      line.append(entry.kind == .flatProgram ? " (flat program, " : " (WebAssembly module, ")
      line.appendInterpolation(bytes: UInt64(entry.data.count))
      line.append(")")
      Log.info(LogMessage(line))
      switch entry.kind {
      case .flatProgram:
        var cName = InlineArray<25, CChar>(repeating: 0)
        for index in 0..<entry.name.count { cName[index] = CChar(bitPattern: entry.name.bytes[index]) }
        let task = withUnsafePointer(to: &cName) { pointer in
          UserPrograms.load(name: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self), code: entry.data)
        }
        guard let task else {
          Log.warning("boot image: cannot load a program (out of memory)")
          continue
        }
        Scheduler.spawn(task)
        tasks.append(task)
      case .wasmModule:
        break  // started by init (`apus.spawn`)
      case .specBundle:
        break  // run by `run=spec`
      case .file, .directory, .symbolicLink:
        break  // the kernel's file system (KernelFiles)
      case .consoleScript:
        break  // the console's input (ConsoleInput)
      }
    }
    return tasks
  }
}
