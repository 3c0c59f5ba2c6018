// Host tests of the kernel's pure memory code (FrameAllocator, PageTable, KernelHeap) against
// a malloc'd buffer standing in for physical memory. Built and run by kernel/tests/host/run.
// (A plain executable: the kernel sources are not a SwiftPM target.)
import Glibc

var failures = 0
var checks = 0

func expect(_ condition: Bool, _ message: String, line: Int = #line) {
  checks += 1
  if !condition {
    failures += 1
    print("FAIL line \(line): \(message)")
  }
}

/// `size` bytes of fake physical memory starting at physical `base`, naturally aligned up to
/// 4 MiB so buddy alignment carries over to host pointers.
func makeMemory(base: UInt64, size: Int) -> PhysicalMemoryWindow {
  var buffer: UnsafeMutableRawPointer? = nil
  precondition(posix_memalign(&buffer, 4 << 20, size) == 0)
  return PhysicalMemoryWindow(offset: UInt64(UInt(bitPattern: buffer!)) &- base)
}

func makeAllocator(base: UInt64 = 4 << 20, size: Int = 32 << 20) -> FrameAllocator {
  let window = makeMemory(base: base, size: size)
  let frames = UInt64(size) / pageSize
  let metadata = UnsafeMutablePointer<UInt8>.allocate(capacity: Int(frames))
  var allocator = FrameAllocator(window: window, firstFrame: base, frameCount: frames, metadata: metadata)
  allocator.addFreeRange(start: base, end: base + UInt64(size))
  return allocator
}

// MARK: FrameAllocator

func testFrameAllocatorExhaustsAndRecovers() {
  var frames = makeAllocator()
  let total = frames.statistics.freeFrames
  expect(total == 8192, "32 MiB is 8192 frames (got \(total))")
  var taken: [PhysicalAddress] = []
  var seen = Set<PhysicalAddress>()
  while let frame = frames.allocate(order: 0) {
    expect(frame % pageSize == 0 && frame >= 4 << 20 && frame < 36 << 20, "frame in range")
    expect(seen.insert(frame).inserted, "frame handed out once")
    taken.append(frame)
  }
  expect(UInt64(taken.count) == total, "every frame can be allocated")
  expect(frames.statistics.freeFrames == 0 && frames.statistics.failures == 1, "exhaustion is counted")
  for frame in taken.reversed() { frames.free(frame) }
  expect(frames.statistics.freeFrames == total, "all frames are free again")
  // Fully merged again: the largest blocks the range allows exist.
  let big = frames.allocate(order: 12)
  expect(big != nil && big! % (pageSize << 12) == 0, "merged back into 16 MiB blocks")
}

func testFrameAllocatorAlignmentAndMixedOrders() {
  var frames = makeAllocator()
  let total = frames.statistics.freeFrames
  var live: [(PhysicalAddress, Int)] = []
  var owner = [Int](repeating: -1, count: 8192)
  var seed: UInt64 = 12345
  func random() -> UInt64 {
    seed = seed &* 6364136223846793005 &+ 1442695040888963407
    return seed >> 33
  }
  for step in 0..<4000 {
    if live.isEmpty || random() % 3 != 0 {
      let order = Int(random() % 6)
      guard let block = frames.allocate(order: order) else { continue }
      expect(block % (pageSize << UInt64(order)) == 0, "block aligned to its size")
      expect(frames.allocatedOrder(of: block) == order, "order is recorded")
      let first = Int((block - (4 << 20)) / pageSize)
      for index in first..<(first + (1 << order)) {
        expect(owner[index] == -1, "blocks do not overlap (step \(step))")
        owner[index] = step
      }
      live.append((block, order))
    } else {
      let (block, order) = live.remove(at: Int(random() % UInt64(live.count)))
      let first = Int((block - (4 << 20)) / pageSize)
      for index in first..<(first + (1 << order)) { owner[index] = -1 }
      frames.free(block)
    }
  }
  for (block, _) in live { frames.free(block) }
  expect(frames.statistics.freeFrames == total, "free count returns to the total")
  expect(frames.statistics.allocations == frames.statistics.frees, "allocations match frees")
}

func testFrameAllocatorHoles() {
  // Two ranges with a hole between them, unaligned edges.
  let window = makeMemory(base: 0, size: 8 << 20)
  let metadata = UnsafeMutablePointer<UInt8>.allocate(capacity: 2048)
  var frames = FrameAllocator(window: window, firstFrame: 0, frameCount: 2048, metadata: metadata)
  frames.addFreeRange(start: 0x1800, end: 0x20_0000)
  frames.addFreeRange(start: 0x40_0000, end: 0x7F_F000)
  expect(frames.statistics.freeFrames == (0x20_0000 - 0x2000) / 4096 + (0x7F_F000 - 0x40_0000) / 4096,
         "partial pages at the edges are dropped")
  var count = 0
  while let frame = frames.allocate(order: 0) {
    expect(!(frame >= 0x20_0000 && frame < 0x40_0000) && frame >= 0x2000, "never a frame from a hole")
    count += 1
  }
  expect(UInt64(count) == frames.statistics.totalFrames, "every free frame allocated once")
}

// MARK: PageTable

func testPageTableMapTranslateUnmap() throws(PageTableError) {
  var frames = makeAllocator()
  let start = frames.statistics.freeFrames
  let table = try PageTable(window: frames.window, frames: &frames)
  let virtual: VirtualAddress = 0xFFFF_8000_1234_5000
  try table.map(virtual, to: 0x0070_0000, flags: [.writable, .noExecute], frames: &frames)
  expect(frames.statistics.freeFrames == start - 4, "PML4 + PDPT + PD + PT allocated")
  let t = table.translate(virtual + 0xABC)
  expect(t == Translation(physical: 0x70_0ABC, size: .size4K, flags: [.writable, .noExecute]), "translate 4K")
  expect(table.translate(virtual + 0x1000) == nil, "neighbour unmapped")
  expect(table.translate(0x0000_8000_0000_0000) == nil, "non-canonical does not translate")

  do {
    try table.map(virtual, to: 0x80_0000, flags: [], frames: &frames)
    expect(false, "double map succeeds")
  } catch { expect(error == .alreadyMapped, "double map is alreadyMapped") }
  do {
    try table.map(virtual + 8, to: 0x80_0000, flags: [], frames: &frames)
    expect(false, "misaligned map succeeds")
  } catch { expect(error == .misaligned, "misaligned map") }
  do {
    try table.map(0x0000_8000_0000_0000, to: 0x80_0000, flags: [], frames: &frames)
    expect(false, "non-canonical map succeeds")
  } catch { expect(error == .nonCanonical, "non-canonical map") }

  try table.protect(virtual, flags: [.noExecute])
  expect(table.translate(virtual)?.flags == [.noExecute], "protect replaces flags")
  expect(table.translate(virtual)?.physical == 0x70_0000, "protect keeps the frame")

  let removed = try table.unmap(virtual, frames: &frames)
  expect(removed.physical == 0x70_0000, "unmap returns the old mapping")
  expect(table.translate(virtual) == nil, "unmapped")
  expect(frames.statistics.freeFrames == start - 1, "empty tables freed, only the PML4 left")
  do {
    try table.unmap(virtual, frames: &frames)
    expect(false, "double unmap succeeds")
  } catch { expect(error == .notMapped, "double unmap is notMapped") }
}

func testPageTableFirstMapped() throws(PageTableError) {
  var frames = makeAllocator()
  let table = try PageTable(window: frames.window, frames: &frames)
  let base: VirtualAddress = 0x0000_0040_0000_0000
  expect(table.firstMapped(from: base, below: base + (8 << 30)) == nil, "empty range has no mapped page")
  try table.map(base + (5 << 30) + 0x3000, to: 0x90_0000, flags: [.user], frames: &frames)
  try table.map(base + 0x1000, to: 0x91_0000, flags: [.user], frames: &frames)
  expect(table.firstMapped(from: base, below: base + (8 << 30)) == base + 0x1000, "finds the first page")
  expect(table.firstMapped(from: base + 0x2000, below: base + (8 << 30)) == base + (5 << 30) + 0x3000,
         "skips empty tables to the next page")
  expect(table.firstMapped(from: base + 0x2000, below: base + (5 << 30) + 0x3000) == nil, "end is exclusive")
  try table.map(base + (6 << 30), to: 0x20_0000, size: .size2M, flags: [.user], frames: &frames)
  expect(table.firstMapped(from: base + (5 << 30) + 0x4000, below: base + (8 << 30)) == base + (6 << 30),
         "finds a 2 MiB page")
  expect(table.firstMapped(from: 0x0000_7FFF_FFFF_F000, below: 0xFFFF_FFFF_FFFF_FFFF) == nil,
         "stops at the non-canonical hole")
}

func testPageTableHugePagesAndUser() throws(PageTableError) {
  var frames = makeAllocator()
  let table = try PageTable(window: frames.window, frames: &frames)
  try table.map(0x4000_0000, to: 0x20_0000, size: .size2M, flags: [.writable, .user], frames: &frames)
  let t = table.translate(0x4012_3456)
  expect(t?.physical == 0x32_3456 && t?.size == .size2M, "2 MiB translation")
  expect(t?.flags == [.writable, .user], "2 MiB flags")
  do {
    try table.map(0x4000_1000, to: 0x90_0000, flags: [], frames: &frames)
    expect(false, "4K inside a 2M page succeeds")
  } catch { expect(error == .hugePageInTheWay, "4K inside 2M is rejected") }
  // User bit on intermediate entries, so ring 3 can reach the leaf.
  let pml4 = frames.window.pointer(to: table.root).assumingMemoryBound(to: UInt64.self)
  expect(pml4[0] & PageFlags.user.rawValue != 0, "intermediate entry carries the user bit")

  try table.map(0xC000_0000, to: 0x4000_0000, size: .size1G, flags: [.writable], frames: &frames)
  expect(table.translate(0xC000_0000 + 0x1234_5678)?.physical == 0x4000_0000 + 0x1234_5678, "1 GiB translation")

  // mapRange picks 2 MiB pages where both sides are aligned.
  try table.mapRange(0x2_0000_0000 - 0x1000, to: 0x1F_F000, length: 0x40_2000, flags: [], allowHuge: true,
                     frames: &frames)
  expect(table.translate(0x2_0000_0000 - 0x1000)?.size == .size4K, "unaligned head uses 4K")
  expect(table.translate(0x2_0000_0000)?.size == .size2M, "aligned middle uses 2M")
  expect(table.translate(0x2_0000_0000 + 0x40_0000)?.size == .size4K, "short tail uses 4K")
  expect(table.translate(0x2_0000_0000 + 0x40_0000)?.physical == 0x20_0000 + 0x40_0000, "tail address")
  let leaf = table.translate(0x4000_0000)
  _ = try table.unmap(0x4000_0000, frames: &frames)
  expect(leaf != nil && table.translate(0x4000_0000) == nil, "2 MiB unmap")
}

// MARK: KernelHeap

func testHeap() {
  var frames = makeAllocator()
  var heap = KernelHeap(window: frames.window)
  let startFrames = frames.statistics.freeFrames
  var blocks: [(UnsafeMutableRawPointer, Int)] = []
  for round in 0..<3 {
    for index in 0..<500 {
      let size = (index * 37 + round) % 6000 + 1
      let alignment = 1 << (index % 14)
      guard let p = heap.allocate(size: size, alignment: max(16, alignment), frames: &frames) else {
        expect(false, "allocation failed")
        continue
      }
      expect(UInt(bitPattern: p) % UInt(max(16, alignment)) == 0, "aligned to \(alignment)")
      p.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: index), count: size)
      blocks.append((p, size))
    }
    // Contents intact (no overlap), then free in a shuffled order.
    for (offset, (p, size)) in blocks.enumerated() {
      let expected = UInt8(truncatingIfNeeded: offset % 500)
      expect(p.load(as: UInt8.self) == expected && p.load(fromByteOffset: size - 1, as: UInt8.self) == expected,
             "block contents intact")
    }
    var order = Array(blocks.indices)
    order.shuffle()
    for index in order { heap.free(blocks[index].0, frames: &frames) }
    blocks.removeAll()
  }
  let s = heap.statistics
  expect(s.liveAllocations == 0 && s.bytesInUse == 0 && s.slabPages == 0 && s.largeFrames == 0,
         "heap counters back to zero")
  expect(frames.statistics.freeFrames == startFrames, "frames all returned")

  // Exhaustion returns nil.
  var big: [UnsafeMutableRawPointer] = []
  while let p = heap.allocate(size: 1 << 20, alignment: 16, frames: &frames) { big.append(p) }
  expect(big.count == 32 && heap.statistics.failures == 1, "32 MiB holds 32 blocks of 1 MiB, then nil")
  expect(heap.allocate(size: 16, alignment: 16, frames: &frames) == nil, "small allocation fails when empty")
  for p in big { heap.free(p, frames: &frames) }
  expect(heap.allocate(size: 16, alignment: 16, frames: &frames) != nil, "works again after freeing")
  expect(heap.allocate(size: 16, alignment: 3, frames: &frames) == nil, "non-power-of-two alignment rejected")
}

@main
struct MemoryTests {
  static func main() {
    testFrameAllocatorExhaustsAndRecovers()
    testFrameAllocatorAlignmentAndMixedOrders()
    testFrameAllocatorHoles()
    do throws(PageTableError) {
      try testPageTableMapTranslateUnmap()
      try testPageTableHugePagesAndUser()
      try testPageTableFirstMapped()
    } catch {
      expect(false, "unexpected page table error \(error)")
    }
    testHeap()
    print("kernel memory host tests: \(checks - failures)/\(checks) checks passed")
    exit(failures == 0 ? 0 : 1)
  }
}
