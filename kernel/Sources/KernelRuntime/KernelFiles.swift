import WASIPreview1

/// The kernel's file system: one writable `MemoryFileSystem` for every program (their WASI
/// preopen "/"), seeded from the boot image's file-system entries (kinds 4–6, written by
/// `kernel/tools/mkimage --tree/--file`), and the image's programs as `/bin/NAME.wasm`, where a
/// shell finds them through `PATH` (spawn loads a program from any file). Changes live until
/// the machine stops.
enum KernelFiles {
  nonisolated(unsafe) static var system = MemoryFileSystem(clock: KernelWASI.clock)
  nonisolated(unsafe) static var seeded = false

  /// Adds the image's files, directories and symbolic links (once); returns how many.
  @discardableResult
  static func seed(from image: BootImage) -> Int {
    guard !seeded else { return 0 }
    seeded = true
    var count = 0
    var bytes = 0
    for entry in image.entries {
      guard entry.kind == .file || entry.kind == .directory || entry.kind == .symbolicLink,
            let (path, payload) = split(entry.data)
      else { continue }
      let added: MemoryNode?
      switch entry.kind {
      case .directory: added = system.addDirectory(path)
      case .symbolicLink: added = system.addSymlink(path, target: String(decoding: payload, as: UTF8.self))
      default: added = system.addFile(path, contents: Array(payload))
      }
      if added == nil {
        Log.warning("files: cannot add a boot-image entry (bad path or a file in the way)")
      } else {
        count += 1
        bytes += payload.count
      }
    }
    if count > 0 { Log.info("files: \(count) entries (\(bytes) bytes of data) from the boot image") }
    var programs = 0
    for entry in image.entries where entry.kind == .wasmModule {
      if programs == 0 { _ = system.addDirectory("bin") }
      let path = "bin/" + entry.name.string + ".wasm"
      if system.addFile(path, contents: Array(entry.data.bindMemory(to: UInt8.self))) != nil { programs += 1 }
    }
    if programs > 0 { Log.info("files: \(programs) programs in /bin") }
    return count
  }

  /// A file-system entry's data: UInt32 path length, the path, the payload. Nil if malformed.
  static func split(_ data: UnsafeRawBufferPointer) -> (String, UnsafeRawBufferPointer)? {
    guard data.count >= 4, let base = data.baseAddress else { return nil }
    let length = Int(base.loadUnaligned(as: UInt32.self))
    guard length > 0, length <= data.count - 4 else { return nil }
    let path = String(decoding: UnsafeRawBufferPointer(start: base + 4, count: length), as: UTF8.self)
    let payload = UnsafeRawBufferPointer(start: base + 4 + length, count: data.count - 4 - length)
    return (path, payload)
  }

  /// The node at `path` (components separated by `/`), not following symbolic links.
  static func node(at path: String, in system: MemoryFileSystem) -> MemoryNode? {
    var node = system.root
    for part in path.utf8.split(separator: 47, omittingEmptySubsequences: true) {
      guard node.kind == .directory,
            let child = node.children[String(decoding: part, as: UTF8.self)] else { return nil }
      node = child
    }
    return node
  }

  /// A fresh file system holding a copy of the directory `source` (files, directories,
  /// symbolic links): what a test sees as one of its preopened directories.
  static func copy(of source: MemoryNode) -> MemoryFileSystem {
    let copy = MemoryFileSystem(clock: KernelWASI.clock)
    copyChildren(of: source, into: copy, at: "")
    return copy
  }

  private static func copyChildren(of directory: MemoryNode, into system: MemoryFileSystem, at prefix: String) {
    for (name, child) in directory.children {
      let path = prefix.isEmpty ? name : prefix + "/" + name
      switch child.kind {
      case .directory:
        system.addDirectory(path)
        copyChildren(of: child, into: system, at: path)
      case .regularFile:
        system.addFile(path, contents: child.data)
      case .symbolicLink:
        system.addSymlink(path, target: String(decoding: child.data, as: UTF8.self))
      }
    }
  }
}
