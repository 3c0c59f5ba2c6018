/// Permissions and attributes of a mapping (x86_64 page-table entry bits). Present is implied.
struct PageFlags: OptionSet {
  let rawValue: UInt64

  static let writable = PageFlags(rawValue: 1 << 1)
  static let user = PageFlags(rawValue: 1 << 2)
  static let writeThrough = PageFlags(rawValue: 1 << 3)
  static let cacheDisabled = PageFlags(rawValue: 1 << 4)
  static let global = PageFlags(rawValue: 1 << 8)
  static let noExecute = PageFlags(rawValue: 1 << 63)

  /// Bits of an entry that `PageFlags` describes (everything but present, accessed, dirty,
  /// huge and the address).
  static let entryMask: UInt64 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 8) | (1 << 63)

  // Combinations as raw values: an OptionSet array literal (`[.a, .b]`) allocates an array in
  // Embedded Swift, which must not happen before the heap exists.
  /// Kernel code: read-only, executable.
  static let kernelCode = PageFlags(rawValue: 1 << 8)
  /// Kernel constants: read-only, never executed.
  static let kernelReadOnly = PageFlags(rawValue: 1 << 8 | 1 << 63)
  /// Kernel data: read/write, never executed.
  static let kernelData = PageFlags(rawValue: 1 << 1 | 1 << 8 | 1 << 63)
  /// Device registers: uncached.
  static let mmio = PageFlags(rawValue: 1 << 1 | 1 << 3 | 1 << 4 | 1 << 8 | 1 << 63)
}

/// The three page sizes of 4-level paging.
enum PageSize {
  case size4K, size2M, size1G

  var bytes: UInt64 {
    switch self {
    case .size4K: return 1 << 12
    case .size2M: return 1 << 21
    case .size1G: return 1 << 30
    }
  }

  /// Level of the table holding the leaf entry: 1 = page table, 2 = directory, 3 = PDPT.
  var leafLevel: Int {
    switch self {
    case .size4K: return 1
    case .size2M: return 2
    case .size1G: return 3
    }
  }
}

enum PageTableError: Error, Equatable {
  case misaligned
  case nonCanonical
  case alreadyMapped
  case notMapped
  /// A huge page covers the address at a level above the requested page size.
  case hugePageInTheWay
  case outOfFrames
}

/// Where a virtual address leads.
struct Translation: Equatable {
  var physical: PhysicalAddress
  /// Size of the page containing the address, and its base addresses.
  var size: PageSize
  var flags: PageFlags
}

/// A 4-level x86_64 page table (PML4 → PDPT → PD → PT), edited through a
/// `PhysicalMemoryWindow`. Pure: the caller flushes the TLB (`invlpg`) after `unmap`/`protect`
/// of a live address space, and owns the frames it maps.
///
/// Intermediate entries are always present + writable (+ user when any leaf below is user);
/// the leaf decides the permissions. Empty intermediate tables are freed on `unmap`.
struct PageTable {
  static let entriesPerTable = 512
  static let present: UInt64 = 1
  static let huge: UInt64 = 1 << 7
  static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000

  let root: PhysicalAddress
  let window: PhysicalMemoryWindow

  /// An empty address space (a zeroed PML4 from `frames`).
  init<Frames: FrameSource>(window: PhysicalMemoryWindow, frames: inout Frames) throws(PageTableError) {
    guard let root = frames.allocateFrame() else { throw .outOfFrames }
    self.root = root
    self.window = window
  }

  /// Wraps an existing PML4.
  init(root: PhysicalAddress, window: PhysicalMemoryWindow) {
    self.root = root
    self.window = window
  }

  static func isCanonical(_ address: VirtualAddress) -> Bool {
    let top = address >> 47
    return top == 0 || top == 0x1FFFF
  }

  static func index(of address: VirtualAddress, level: Int) -> Int {
    Int((address >> UInt64(12 + 9 * (level - 1))) & 0x1FF)
  }

  private func entryPointer(table: PhysicalAddress, index: Int) -> UnsafeMutablePointer<UInt64> {
    window.pointer(to: table).assumingMemoryBound(to: UInt64.self).advanced(by: index)
  }

  /// The physical address `virtual` maps to, with the page's size and flags; nil if unmapped.
  func translate(_ virtual: VirtualAddress) -> Translation? {
    guard Self.isCanonical(virtual) else { return nil }
    var table = root
    var level = 4
    while true {
      let entry = entryPointer(table: table, index: Self.index(of: virtual, level: level)).pointee
      guard entry & Self.present != 0 else { return nil }
      let isLeaf = level == 1 || (level <= 3 && entry & Self.huge != 0)
      if isLeaf {
        let size: PageSize = level == 1 ? .size4K : (level == 2 ? .size2M : .size1G)
        let base = entry & Self.addressMask & ~(size.bytes - 1)
        return Translation(
          physical: base | (virtual & (size.bytes - 1)), size: size,
          flags: PageFlags(rawValue: entry & PageFlags.entryMask))
      }
      table = entry & Self.addressMask
      level -= 1
    }
  }

  /// Maps one page of `size` at `virtual` to `physical`. Both must be aligned to the size.
  func map<Frames: FrameSource>(
    _ virtual: VirtualAddress, to physical: PhysicalAddress, size: PageSize = .size4K,
    flags: PageFlags, frames: inout Frames
  ) throws(PageTableError) {
    guard Self.isCanonical(virtual) else { throw .nonCanonical }
    guard virtual % size.bytes == 0, physical % size.bytes == 0,
      physical & ~Self.addressMask & ~(size.bytes - 1) == 0
    else { throw .misaligned }
    var table = root
    var level = 4
    while level > size.leafLevel {
      let entry = entryPointer(table: table, index: Self.index(of: virtual, level: level))
      if entry.pointee & Self.present == 0 {
        guard let next = frames.allocateFrame() else { throw .outOfFrames }
        entry.pointee = next | Self.present | PageFlags.writable.rawValue
          | (flags.contains(.user) ? PageFlags.user.rawValue : 0)
      } else if entry.pointee & Self.huge != 0 {
        throw .hugePageInTheWay
      } else if flags.contains(.user) {
        entry.pointee |= PageFlags.user.rawValue
      }
      table = entry.pointee & Self.addressMask
      level -= 1
    }
    let leaf = entryPointer(table: table, index: Self.index(of: virtual, level: level))
    guard leaf.pointee & Self.present == 0 else { throw .alreadyMapped }
    leaf.pointee = physical | Self.present | (flags.rawValue & PageFlags.entryMask)
      | (size == .size4K ? 0 : Self.huge)
  }

  /// Maps [virtual, virtual + length) to [physical, …) with the largest pages that fit
  /// (2 MiB when both addresses are 2 MiB aligned and `allowHuge`), else 4 KiB.
  func mapRange<Frames: FrameSource>(
    _ virtual: VirtualAddress, to physical: PhysicalAddress, length: UInt64,
    flags: PageFlags, allowHuge: Bool = false, frames: inout Frames
  ) throws(PageTableError) {
    var offset: UInt64 = 0
    while offset < length {
      let v = virtual &+ offset
      let p = physical &+ offset
      let big = PageSize.size2M.bytes
      if allowHuge, v % big == 0, p % big == 0, length - offset >= big {
        try map(v, to: p, size: .size2M, flags: flags, frames: &frames)
        offset += big
      } else {
        try map(v, to: p, size: .size4K, flags: flags, frames: &frames)
        offset += pageSize
      }
    }
  }

  /// Removes the page containing `virtual` (which must be its base) and returns what it
  /// mapped; intermediate tables left empty go back to `frames`.
  @discardableResult
  func unmap<Frames: FrameSource>(_ virtual: VirtualAddress, frames: inout Frames) throws(PageTableError)
    -> Translation
  {
    guard let translation = translate(virtual) else { throw .notMapped }
    guard virtual % translation.size.bytes == 0 else { throw .misaligned }
    // The tables on the path, root first.
    var path = InlineArray<4, PhysicalAddress>(repeating: 0)
    var table = root
    var level = 4
    while level > translation.size.leafLevel {
      path[4 - level] = table
      table = entryPointer(table: table, index: Self.index(of: virtual, level: level)).pointee
        & Self.addressMask
      level -= 1
    }
    entryPointer(table: table, index: Self.index(of: virtual, level: level)).pointee = 0
    // Free tables that became empty, bottom-up (never the root).
    while level < 4 {
      guard isEmpty(table) else { break }
      let parent = path[4 - (level + 1)]
      entryPointer(table: parent, index: Self.index(of: virtual, level: level + 1)).pointee = 0
      frames.freeFrame(table)
      table = parent
      level += 1
    }
    return translation
  }

  /// Changes the flags of the page whose base is `virtual`.
  func protect(_ virtual: VirtualAddress, flags: PageFlags) throws(PageTableError) {
    guard let translation = translate(virtual) else { throw .notMapped }
    guard virtual % translation.size.bytes == 0 else { throw .misaligned }
    var table = root
    var level = 4
    while level > translation.size.leafLevel {
      let entry = entryPointer(table: table, index: Self.index(of: virtual, level: level))
      if flags.contains(.user) { entry.pointee |= PageFlags.user.rawValue }
      table = entry.pointee & Self.addressMask
      level -= 1
    }
    let leaf = entryPointer(table: table, index: Self.index(of: virtual, level: level))
    leaf.pointee = (leaf.pointee & ~PageFlags.entryMask) | (flags.rawValue & PageFlags.entryMask)
  }

  /// Copies the top-level entries [first, last] of `other` (shares the kernel half between
  /// address spaces).
  func shareTopLevelEntries(from other: PageTable, _ range: ClosedRange<Int>) {
    for index in range {
      entryPointer(table: root, index: index).pointee =
        other.entryPointer(table: other.root, index: index).pointee
    }
  }

  /// The base of the first mapped page that starts in [address, end), skipping unmapped
  /// tables whole (so sparse 4 GiB reservations are cheap to scan); nil if there is none.
  func firstMapped(from address: VirtualAddress, below end: VirtualAddress) -> VirtualAddress? {
    var virtual = address.roundedDown(to: pageSize)
    scan: while virtual < end {
      guard Self.isCanonical(virtual) else { return nil }
      var table = root
      var level = 4
      while true {
        let entry = entryPointer(table: table, index: Self.index(of: virtual, level: level)).pointee
        let coverage: UInt64 = 1 << UInt64(12 + 9 * (level - 1))
        if entry & Self.present == 0 {
          let next = (virtual & ~(coverage - 1)) &+ coverage
          guard next > virtual else { return nil }
          virtual = next
          continue scan
        }
        if level == 1 || (level <= 3 && entry & Self.huge != 0) {
          return virtual & ~(coverage - 1)
        }
        table = entry & Self.addressMask
        level -= 1
      }
    }
    return nil
  }

  private func isEmpty(_ table: PhysicalAddress) -> Bool {
    let entries = window.pointer(to: table).assumingMemoryBound(to: UInt64.self)
    for index in 0..<Self.entriesPerTable where entries[index] != 0 { return false }
    return true
  }
}
