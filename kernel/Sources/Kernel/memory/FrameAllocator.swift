/// A binary buddy allocator of physical frames: blocks of 2^order frames, naturally aligned,
/// for order 0 (4 KiB) up to `maximumOrder` (1 GiB).
///
/// Free blocks are kept in one doubly linked list per order, threaded through the free memory
/// itself (next at +0, prev at +8, via the window). One byte of metadata per frame (`frameInfo`,
/// carved out of usable RAM by the caller) records which frames start a free block and of which
/// order, so freeing merges with the buddy in O(maximumOrder).
struct FrameAllocator: FrameSource {
  static let maximumOrder = 18
  static let noBlock = PhysicalAddress.max

  /// Metadata byte per frame: `freeHead | order` on the first frame of a free block,
  /// `allocatedHead | order` on the first frame of an allocated block, 0 elsewhere.
  static let freeHead: UInt8 = 0x80
  static let allocatedHead: UInt8 = 0x40
  static let orderMask: UInt8 = 0x3F

  /// Counters, in frames and calls.
  struct Statistics {
    var totalFrames: UInt64 = 0
    var freeFrames: UInt64 = 0
    var allocations: UInt64 = 0
    var frees: UInt64 = 0
    var failures: UInt64 = 0
  }

  let window: PhysicalMemoryWindow
  /// Physical address of frame 0 of `frameInfo`, and how many frames it covers.
  let firstFrame: PhysicalAddress
  let frameCount: UInt64
  private let frameInfo: UnsafeMutablePointer<UInt8>
  private var freeLists = InlineArray<19, PhysicalAddress>(repeating: FrameAllocator.noBlock)
  private(set) var statistics = Statistics()

  /// Manages frames in [first, first + count × 4 KiB); all start out allocated (not free) until
  /// `addFreeRange` hands them over. `metadata` must hold `count` bytes.
  init(window: PhysicalMemoryWindow, firstFrame: PhysicalAddress, frameCount: UInt64,
       metadata: UnsafeMutablePointer<UInt8>) {
    self.window = window
    self.firstFrame = firstFrame
    self.frameCount = frameCount
    self.frameInfo = metadata
    metadata.initialize(repeating: 0, count: Int(frameCount))
  }

  /// Bytes of metadata needed to manage `frameCount` frames.
  static func metadataSize(frameCount: UInt64) -> UInt64 { frameCount }

  /// Frees every whole frame in [start, end) (clipped to the managed range).
  mutating func addFreeRange(start: PhysicalAddress, end: PhysicalAddress) {
    var frame = max(start.roundedUp(to: pageSize), firstFrame)
    let limit = min(end.roundedDown(to: pageSize), firstFrame &+ frameCount &* pageSize)
    while frame < limit {
      // The largest block that is aligned at `frame` and fits before `limit`.
      var order = 0
      while order < Self.maximumOrder {
        let size = pageSize << UInt64(order + 1)
        if frame % size != 0 || frame &+ size > limit { break }
        order += 1
      }
      statistics.totalFrames += 1 << UInt64(order)
      release(frame, order: order)
      frame &+= pageSize << UInt64(order)
    }
  }

  /// Allocates 2^order contiguous frames aligned to their size; nil when none is left.
  mutating func allocate(order: Int) -> PhysicalAddress? {
    guard order >= 0, order <= Self.maximumOrder else { return nil }
    var found = order
    while found <= Self.maximumOrder, freeLists[found] == Self.noBlock { found += 1 }
    guard found <= Self.maximumOrder else {
      statistics.failures += 1
      return nil
    }
    let block = freeLists[found]
    unlink(block, order: found)
    // Split down, returning the upper halves.
    while found > order {
      found -= 1
      let upper = block &+ (pageSize << UInt64(found))
      link(upper, order: found)
    }
    setInfo(block, Self.allocatedHead | UInt8(order))
    statistics.freeFrames -= 1 << UInt64(order)
    statistics.allocations += 1
    return block
  }

  /// Frees a block returned by `allocate`; its order is read from the metadata.
  mutating func free(_ block: PhysicalAddress) {
    let info = self.info(block)
    precondition(info & Self.allocatedHead != 0, "frame freed twice or never allocated")
    statistics.frees += 1
    release(block, order: Int(info & Self.orderMask))
  }

  /// The order of the allocated block starting at `block`, or nil if none starts there.
  func allocatedOrder(of block: PhysicalAddress) -> Int? {
    guard isManaged(block) else { return nil }
    let info = self.info(block)
    return info & Self.allocatedHead != 0 ? Int(info & Self.orderMask) : nil
  }

  func isManaged(_ frame: PhysicalAddress) -> Bool {
    frame >= firstFrame && (frame - firstFrame) >> pageShift < frameCount && frame % pageSize == 0
  }

  // FrameSource: one zeroed frame (page tables).
  mutating func allocateFrame() -> PhysicalAddress? {
    guard let frame = allocate(order: 0) else { return nil }
    window.zeroPage(frame)
    return frame
  }

  mutating func freeFrame(_ frame: PhysicalAddress) { free(frame) }

  // MARK: Internals

  /// Puts a block back, merging with its buddy while the buddy is a free block of equal order.
  private mutating func release(_ start: PhysicalAddress, order startOrder: Int) {
    var block = start
    var order = startOrder
    setInfo(start, 0)
    statistics.freeFrames += 1 << UInt64(order)
    while order < Self.maximumOrder {
      let buddy = block ^ (pageSize << UInt64(order))
      guard isManaged(buddy), info(buddy) == Self.freeHead | UInt8(order) else { break }
      unlink(buddy, order: order)
      block = min(block, buddy)
      order += 1
    }
    link(block, order: order)
  }

  private func info(_ frame: PhysicalAddress) -> UInt8 {
    frameInfo[Int((frame - firstFrame) >> pageShift)]
  }

  private func setInfo(_ frame: PhysicalAddress, _ value: UInt8) {
    frameInfo[Int((frame - firstFrame) >> pageShift)] = value
  }

  private mutating func link(_ block: PhysicalAddress, order: Int) {
    let head = freeLists[order]
    let node = window.pointer(to: block)
    node.storeBytes(of: head, toByteOffset: 0, as: UInt64.self)
    node.storeBytes(of: Self.noBlock, toByteOffset: 8, as: UInt64.self)
    if head != Self.noBlock {
      window.pointer(to: head).storeBytes(of: block, toByteOffset: 8, as: UInt64.self)
    }
    freeLists[order] = block
    setInfo(block, Self.freeHead | UInt8(order))
  }

  private mutating func unlink(_ block: PhysicalAddress, order: Int) {
    let node = window.pointer(to: block)
    let next = node.load(fromByteOffset: 0, as: UInt64.self)
    let previous = node.load(fromByteOffset: 8, as: UInt64.self)
    if previous != Self.noBlock {
      window.pointer(to: previous).storeBytes(of: next, toByteOffset: 0, as: UInt64.self)
    } else {
      freeLists[order] = next
    }
    if next != Self.noBlock {
      window.pointer(to: next).storeBytes(of: previous, toByteOffset: 8, as: UInt64.self)
    }
    setInfo(block, 0)
  }
}
