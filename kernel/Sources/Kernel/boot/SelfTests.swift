/// Kernel self-tests selected on the command line (`-append "test=NAME"`), run at the end of
/// boot by kernel/tests/run. Each prints "selftest NAME: ok" or ends in a panic.
enum SelfTests {
  static func run(_ boot: BootInfo) {
    if boot.hasOption("test=panic") { deliberatePanic(depth: 3) }
    if boot.hasOption("test=stack-overflow") {
      Log.info("selftest stack-overflow: recursing until the guard page")
      kernel_overflow_stack(0)
    }
    if boot.hasOption("test=invalid-opcode") { invalidOpcode() }
    if boot.hasOption("test=paging") { paging() }
    if boot.hasOption("test=heap") { heap() }
  }

  @inline(never)
  static func deliberatePanic(depth: Int) {
    if depth > 0 {
      deliberatePanic(depth: depth - 1)
      compiler_barrier()  // not a tail call: keeps every level in the backtrace
      return
    }
    panic("deliberate panic (test=panic)")
  }

  @inline(never)
  static func invalidOpcode() {
    Log.info("selftest invalid-opcode: executing ud2")
    fatalError("selftest invalid-opcode")
  }

  // MARK: Paging

  static func paging() {
    let before = KernelMemory.frames!.statistics.freeFrames
    let virtual = KernelMemory.testAreaBase + 0x20_0000
    guard let frame = KernelMemory.frames!.allocate(order: 0) else { panic("selftest paging: no frame") }

    expectNoThrow { () throws(PageTableError) in
      try KernelMemory.map(virtual, to: frame, flags: .kernelData)
    }
    let translation = KernelMemory.translate(virtual + 0x123)
    check(translation?.physical == frame + 0x123, "translate finds the new page")
    check(translation?.flags.contains(.writable) == true, "new page is writable")

    // Written through the new mapping, visible through the direct map.
    let pointer = UnsafeMutablePointer<UInt64>(bitPattern: UInt(virtual))!
    pointer.pointee = 0xA905_0000_0000_0001
    check(KernelMemory.directMap.pointer(to: frame).load(as: UInt64.self) == 0xA905_0000_0000_0001,
          "write through the mapping reaches the frame")

    // Read-only: a write faults; the probe makes the page writable again and the write retries.
    expectNoThrow { () throws(PageTableError) in
      try KernelMemory.protect(virtual, flags: .kernelReadOnly)
    }
    check(KernelMemory.translate(virtual)?.flags.contains(.writable) == false, "protect removes write")
    PageFaultProbe.handler = { address, _ in
      do throws(PageTableError) {
        try KernelMemory.protect(address & ~(pageSize - 1), flags: .kernelData)
      } catch {
        panic("selftest paging: cannot restore write access")
      }
    }
    PageFaultProbe.armedAddress = virtual + 8
    UnsafeMutablePointer<UInt64>(bitPattern: UInt(virtual + 8))!.pointee = 2
    check(PageFaultProbe.faults == 1, "write to a read-only page faults exactly once")
    check(pointer[1] == 2, "the write completes after the fault is repaired")

    // Unmap: translation disappears; the frame and the page tables go back.
    let removed = expectNoThrow { () throws(PageTableError) -> Translation in
      try KernelMemory.unmap(virtual)
    }
    check(removed.physical == frame, "unmap returns the mapped frame")
    check(KernelMemory.translate(virtual) == nil, "unmapped page no longer translates")
    KernelMemory.frames!.free(frame)
    check(KernelMemory.frames!.statistics.freeFrames == before, "free frames return to the start value")

    // Errors are reported, not ignored.
    do throws(PageTableError) {
      try KernelMemory.map(virtual + 1, to: frame, flags: .kernelData)
      panic("selftest paging: a misaligned map succeeded")
    } catch {
      check(error == .misaligned, "misaligned map is rejected")
    }
    do throws(PageTableError) {
      try KernelMemory.unmap(virtual)
      panic("selftest paging: unmapping an unmapped page succeeded")
    } catch {
      check(error == .notMapped, "unmap of an unmapped page is rejected")
    }
    check(KernelMemory.translate(linker_stack_guard()) == nil, "the stack guard page is unmapped")
    check(KernelMemory.translate(linker_text_start())?.flags.contains(.writable) == false, "kernel text is read-only")
    check(KernelMemory.translate(linker_data_start())?.flags.contains(.noExecute) == true, "kernel data is not executable")
    check(KernelMemory.translate(0) == nil, "the null page is unmapped")
    Log.info("selftest paging: ok")
  }

  // MARK: Heap

  final class Node {
    var value: Int
    var next: Node?
    init(value: Int, next: Node?) {
      self.value = value
      self.next = next
    }
  }

  static func heap() {
    let start = KernelMemory.heap.statistics
    let startFrames = KernelMemory.frames!.statistics.freeFrames
    Log.info("selftest heap: start live \(start.liveAllocations), \(bytes: start.bytesInUse) in use, \(start.slabPages) slab pages")

    // Raw allocations of every size class and alignment, written and checked.
    var pointers = InlineArray<64, UnsafeMutableRawPointer?>(repeating: nil)
    for round in 0..<200 {
      for slot in 0..<64 {
        let size = (slot * 97 + round * 13) % 9000 + 1
        let alignment = 1 << ((slot + round) % 13)
        guard let p = KernelMemory.heap.allocate(size: size, alignment: max(alignment, 16), frames: &KernelMemory.frames!) else {
          panic("selftest heap: allocation of \(size) bytes failed")
        }
        check(UInt(bitPattern: p) % UInt(max(alignment, 16)) == 0, "allocation is aligned")
        p.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: slot), count: size)
        pointers[slot] = p
      }
      for slot in 0..<64 {
        let p = pointers[slot]!
        check(p.load(as: UInt8.self) == UInt8(truncatingIfNeeded: slot), "allocation keeps its contents")
        KernelMemory.heap.free(p, frames: &KernelMemory.frames!)
      }
    }
    // Swift objects and arrays through posix_memalign/free.
    for round in 0..<100 {
      var list: Node? = nil
      for value in 0..<50 { list = Node(value: value, next: list) }
      var array: [Int] = []
      for value in 0..<(round * 10) { array.append(value) }
      check(list?.value == 49 && array.count == round * 10, "objects and arrays work")
    }
    // Dictionary: hashing (arc4random_buf seed) and capacity growth (x87 `ceil`).
    for round in 0..<10 {
      var squares: [Int: Int] = [:]
      for key in 0..<(round * 40) { squares[key] = key * key }
      check(squares.count == round * 40 && (round == 0 || squares[round * 40 - 1] == (round * 40 - 1) * (round * 40 - 1)),
            "dictionaries work")
    }
    let end = KernelMemory.heap.statistics
    Log.info("selftest heap: end live \(end.liveAllocations), \(bytes: end.bytesInUse) in use, \(end.slabPages) slab pages, \(end.allocations) allocations \(end.frees) frees")
    check(end.liveAllocations == start.liveAllocations, "live allocations return to the start value")
    check(end.bytesInUse == start.bytesInUse, "bytes in use return to the start value")
    check(end.slabPages == start.slabPages && end.largeFrames == start.largeFrames, "heap pages are released")
    check(KernelMemory.frames!.statistics.freeFrames == startFrames, "free frames return to the start value")
    Log.info("selftest heap: \(end.allocations - start.allocations) allocations and frees, counters back to start")

    // Exhaustion is an error (nil), not a hang: take 4 MiB blocks until none is left.
    var chain: UnsafeMutableRawPointer? = nil
    var taken = 0
    while let block = KernelMemory.heap.allocate(size: 4 << 20, alignment: 16, frames: &KernelMemory.frames!) {
      block.storeBytes(of: chain, as: UnsafeMutableRawPointer?.self)
      chain = block
      taken += 1
    }
    check(taken > 0 && KernelMemory.heap.statistics.failures > start.failures, "exhaustion returns nil")
    while let block = chain {
      chain = block.load(as: UnsafeMutableRawPointer?.self)
      KernelMemory.heap.free(block, frames: &KernelMemory.frames!)
    }
    check(KernelMemory.frames!.statistics.freeFrames == startFrames, "memory is back after exhaustion")
    Log.info("selftest heap: out of memory after \(taken) blocks of 4 MiB, all returned")
    Log.info("selftest heap: ok")
  }

  // MARK: Helpers

  static func check(_ condition: Bool, _ what: StaticString) {
    if !condition { panic("selftest failed: \(what)") }
  }

  @discardableResult
  static func expectNoThrow<T>(_ body: () throws(PageTableError) -> T) -> T {
    do throws(PageTableError) {
      return try body()
    } catch {
      panic("selftest: unexpected page-table error: \(error.name)")
    }
  }
}
