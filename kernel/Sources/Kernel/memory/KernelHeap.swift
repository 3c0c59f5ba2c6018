/// The kernel heap behind `posix_memalign`/`free` (and so behind every Swift class and array).
///
/// Small blocks (≤ 1 KiB after rounding size and alignment up to a power of two) come from
/// slab pages of one size class each: a 64-byte header, then objects aligned to their size,
/// free objects linked through their first word. Larger blocks are whole buddy blocks from
/// the frame allocator, page aligned. `free` tells them apart by alignment: slab objects
/// never start on a page boundary. Empty slab pages go straight back to the frame allocator,
/// so the counters return to their starting values when everything is freed.
///
/// The heap hands out addresses through its own window (`window`), which in the kernel is an
/// alias of RAM at a *positive* address: the Embedded Swift runtime treats objects at negative
/// addresses (the whole higher half) as immortal and never frees them.
struct KernelHeap {
  static let smallestClassShift = 4
  static let classCount = 7  // 16, 32, …, 1024 bytes
  static let headerSize = 64
  static let slabMagic: UInt32 = 0x534C_4142  // "SLAB"

  struct Statistics {
    var liveAllocations: UInt64 = 0
    /// Bytes handed out, after rounding to the size class or block size.
    var bytesInUse: UInt64 = 0
    var slabPages: UInt64 = 0
    var largeFrames: UInt64 = 0
    var allocations: UInt64 = 0
    var frees: UInt64 = 0
    var failures: UInt64 = 0
  }

  /// First slab page with a free object, per size class (virtual address, 0 = none).
  private var partialPages = InlineArray<7, UInt>(repeating: 0)
  private(set) var statistics = Statistics()

  /// Where the heap's memory is addressed (the frame allocator's window may differ).
  let window: PhysicalMemoryWindow

  init(window: PhysicalMemoryWindow) {
    self.window = window
  }

  /// `size` bytes aligned to `alignment` (a power of two), or nil when memory is exhausted.
  mutating func allocate(size: Int, alignment: Int, frames: inout FrameAllocator)
    -> UnsafeMutableRawPointer?
  {
    guard alignment > 0, alignment & (alignment - 1) == 0, size >= 0, size <= 1 << 40 else {
      statistics.failures += 1
      return nil
    }
    let needed = max(size, alignment, 1 << Self.smallestClassShift)
    var shift = Self.smallestClassShift
    while 1 << shift < needed { shift += 1 }
    let sizeClass = shift - Self.smallestClassShift
    let pointer: UnsafeMutableRawPointer?
    let granted: Int
    if sizeClass < Self.classCount {
      pointer = allocateSmall(sizeClass: sizeClass, frames: &frames)
      granted = 1 << shift
    } else {
      let order = max(0, shift - Int(pageShift))
      if let block = frames.allocate(order: order) {
        pointer = window.pointer(to: block)
        statistics.largeFrames += 1 << UInt64(order)
      } else {
        pointer = nil
      }
      granted = Int(pageSize) << order
    }
    guard let pointer else {
      statistics.failures += 1
      return nil
    }
    statistics.liveAllocations += 1
    statistics.allocations += 1
    statistics.bytesInUse += UInt64(granted)
    return pointer
  }

  /// Frees a block from `allocate`. Freeing anything else is a kernel bug and traps.
  mutating func free(_ pointer: UnsafeMutableRawPointer, frames: inout FrameAllocator) {
    let address = UInt(bitPattern: pointer)
    statistics.liveAllocations -= 1
    statistics.frees += 1
    if UInt64(address) % pageSize == 0 {
      let block = window.physicalAddress(of: pointer)
      guard let order = frames.allocatedOrder(of: block) else {
        fatalError("kernel heap: free of a pointer it did not allocate")
      }
      frames.free(block)
      statistics.largeFrames -= 1 << UInt64(order)
      statistics.bytesInUse -= pageSize << UInt64(order)
      return
    }
    freeSmall(pointer, frames: &frames)
  }

  // MARK: Slab pages

  // Header fields (byte offsets).
  private static let magicOffset = 0, classOffset = 4, freeCountOffset = 6, capacityOffset = 8
  private static let firstFreeOffset = 16, nextOffset = 24, previousOffset = 32

  private static func objectStart(sizeClass: Int) -> Int {
    max(headerSize, 1 << (sizeClass + smallestClassShift))
  }

  private mutating func allocateSmall(sizeClass: Int, frames: inout FrameAllocator)
    -> UnsafeMutableRawPointer?
  {
    if partialPages[sizeClass] == 0 {
      guard let frame = frames.allocate(order: 0) else { return nil }
      statistics.slabPages += 1
      let page = window.pointer(to: frame)
      let objectSize = 1 << (sizeClass + Self.smallestClassShift)
      let start = Self.objectStart(sizeClass: sizeClass)
      let capacity = (Int(pageSize) - start) / objectSize
      // Thread the free list through the objects, in address order.
      var previous: UInt = 0
      var index = capacity - 1
      while index >= 0 {
        let object = page.advanced(by: start + index * objectSize)
        object.storeBytes(of: previous, as: UInt.self)
        previous = UInt(bitPattern: object)
        index -= 1
      }
      page.storeBytes(of: Self.slabMagic, toByteOffset: Self.magicOffset, as: UInt32.self)
      page.storeBytes(of: UInt16(sizeClass), toByteOffset: Self.classOffset, as: UInt16.self)
      page.storeBytes(of: UInt16(capacity), toByteOffset: Self.freeCountOffset, as: UInt16.self)
      page.storeBytes(of: UInt16(capacity), toByteOffset: Self.capacityOffset, as: UInt16.self)
      page.storeBytes(of: previous, toByteOffset: Self.firstFreeOffset, as: UInt.self)
      page.storeBytes(of: 0, toByteOffset: Self.nextOffset, as: UInt.self)
      page.storeBytes(of: 0, toByteOffset: Self.previousOffset, as: UInt.self)
      partialPages[sizeClass] = UInt(bitPattern: page)
    }
    let page = UnsafeMutableRawPointer(bitPattern: partialPages[sizeClass])!
    let object = UnsafeMutableRawPointer(bitPattern: page.load(fromByteOffset: Self.firstFreeOffset, as: UInt.self))!
    page.storeBytes(of: object.load(as: UInt.self), toByteOffset: Self.firstFreeOffset, as: UInt.self)
    let freeCount = page.load(fromByteOffset: Self.freeCountOffset, as: UInt16.self) - 1
    page.storeBytes(of: freeCount, toByteOffset: Self.freeCountOffset, as: UInt16.self)
    if freeCount == 0 { unlinkPartial(page, sizeClass: sizeClass) }
    return object
  }

  private mutating func freeSmall(_ object: UnsafeMutableRawPointer, frames: inout FrameAllocator) {
    let page = UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: object) & ~UInt(pageSize - 1))!
    guard page.load(fromByteOffset: Self.magicOffset, as: UInt32.self) == Self.slabMagic else {
      fatalError("kernel heap: free of a pointer it did not allocate")
    }
    let sizeClass = Int(page.load(fromByteOffset: Self.classOffset, as: UInt16.self))
    let capacity = page.load(fromByteOffset: Self.capacityOffset, as: UInt16.self)
    let freeCount = page.load(fromByteOffset: Self.freeCountOffset, as: UInt16.self) + 1
    statistics.bytesInUse -= 1 << UInt64(sizeClass + Self.smallestClassShift)

    object.storeBytes(of: page.load(fromByteOffset: Self.firstFreeOffset, as: UInt.self), as: UInt.self)
    page.storeBytes(of: UInt(bitPattern: object), toByteOffset: Self.firstFreeOffset, as: UInt.self)
    page.storeBytes(of: freeCount, toByteOffset: Self.freeCountOffset, as: UInt16.self)
    if freeCount == 1 { linkPartial(page, sizeClass: sizeClass) }
    if freeCount == capacity {
      unlinkPartial(page, sizeClass: sizeClass)
      page.storeBytes(of: 0, toByteOffset: Self.magicOffset, as: UInt32.self)
      frames.free(window.physicalAddress(of: page))
      statistics.slabPages -= 1
    }
  }

  private mutating func linkPartial(_ page: UnsafeMutableRawPointer, sizeClass: Int) {
    let head = partialPages[sizeClass]
    page.storeBytes(of: head, toByteOffset: Self.nextOffset, as: UInt.self)
    page.storeBytes(of: 0, toByteOffset: Self.previousOffset, as: UInt.self)
    if let headPage = UnsafeMutableRawPointer(bitPattern: head) {
      headPage.storeBytes(of: UInt(bitPattern: page), toByteOffset: Self.previousOffset, as: UInt.self)
    }
    partialPages[sizeClass] = UInt(bitPattern: page)
  }

  private mutating func unlinkPartial(_ page: UnsafeMutableRawPointer, sizeClass: Int) {
    let next = page.load(fromByteOffset: Self.nextOffset, as: UInt.self)
    let previous = page.load(fromByteOffset: Self.previousOffset, as: UInt.self)
    if let previousPage = UnsafeMutableRawPointer(bitPattern: previous) {
      previousPage.storeBytes(of: next, toByteOffset: Self.nextOffset, as: UInt.self)
    } else {
      partialPages[sizeClass] = next
    }
    if let nextPage = UnsafeMutableRawPointer(bitPattern: next) {
      nextPage.storeBytes(of: previous, toByteOffset: Self.previousOffset, as: UInt.self)
    }
  }
}
