/// The kernel's memory: the frame allocator over all usable RAM, the kernel address space and
/// the heap. Virtual layout (higher half only; the lower half is for user programs):
///
///   0x0000_7F80_0000_0000  heap window: usable RAM again, supervisor-only, at positive
///                          addresses (the Embedded Swift runtime never frees objects at
///                          negative ones); top-level entry 255, shared by all address spaces
///   0xFFFF_8000_0000_0000  direct map of physical memory (RAM and ACPI regions), RW, NX
///   0xFFFF_C000_0000_0000  device registers (`mapDevice`), uncached
///   0xFFFF_D000_0000_0000  scratch area for kernel self-tests
///   0xFFFF_FFFF_8000_0000  the kernel image (text RX, rodata R, data/bss/stack RW NX),
///                          with an unmapped guard page under the boot stack
enum KernelMemory {
  static let heapWindowBase: UInt64 = 0x0000_7F80_0000_0000
  static let directMapBase: UInt64 = 0xFFFF_8000_0000_0000
  static let deviceBase: UInt64 = 0xFFFF_C000_0000_0000
  static let testAreaBase: UInt64 = 0xFFFF_D000_0000_0000
  static let kernelVirtualBase: UInt64 = 0xFFFF_FFFF_8000_0000
  /// boot.S direct-maps the first 4 GiB until the kernel's own tables are live.
  static let bootDirectMapLimit: UInt64 = 4 << 30

  nonisolated(unsafe) static var directMap = PhysicalMemoryWindow(offset: 0xFFFF_8000_0000_0000)
  nonisolated(unsafe) static var frames: FrameAllocator? = nil
  nonisolated(unsafe) static var kernelSpace: PageTable? = nil
  nonisolated(unsafe) static var heap = KernelHeap(window: PhysicalMemoryWindow(offset: 0x0000_7F80_0000_0000))
  /// Guards `heap` and `frames` against other CPUs and interrupt handlers.
  nonisolated(unsafe) static var heapLock = Spinlock()
  nonisolated(unsafe) static var nextDeviceAddress: UInt64 = 0xFFFF_C000_0000_0000

  static func physical(ofKernel virtual: UInt64) -> PhysicalAddress { virtual - kernelVirtualBase }

  /// Sets up the frame allocator, switches to the kernel's own page tables and enables the heap.
  static func initialize(_ boot: BootInfo) {
    let kernelStart = physical(ofKernel: linker_kernel_start())
    let kernelEnd = physical(ofKernel: linker_kernel_end())

    // Usable RAM, minus the first MiB (firmware, real-mode leftovers) and the kernel image.
    var ranges = InlineArray<130, (start: UInt64, end: UInt64)>(repeating: (0, 0))
    var rangeCount = 0
    var lowest = UInt64.max
    var highest: UInt64 = 0
    for index in 0..<boot.regionCount where boot.regions[index].isUsable {
      let region = boot.regions[index]
      let start = max(region.base, 1 << 20).roundedUp(to: pageSize)
      let end = region.end.roundedDown(to: pageSize)
      // (No arrays here: the heap does not exist yet.)
      for piece in 0..<2 {
        let pieceStart = piece == 0 ? start : max(start, kernelEnd)
        let pieceEnd = piece == 0 ? min(end, kernelStart) : end
        guard pieceStart < pieceEnd, rangeCount < 130 else { continue }
        ranges[rangeCount] = (pieceStart, pieceEnd)
        rangeCount += 1
        lowest = min(lowest, pieceStart)
        highest = max(highest, pieceEnd)
      }
    }
    // Boot modules (the initrd) stay where the loader put them.
    for module in 0..<boot.moduleCount {
      let moduleStart = boot.modules[module].base.roundedDown(to: pageSize)
      let moduleEnd = (boot.modules[module].base &+ boot.modules[module].size).roundedUp(to: pageSize)
      var index = 0
      while index < rangeCount {
        let (start, end) = ranges[index]
        if moduleEnd <= start || moduleStart >= end {
          index += 1
          continue
        }
        // Keep the parts below and above the module.
        ranges[index] = (start, max(start, moduleStart))
        if moduleEnd < end, rangeCount < 130 {
          ranges[rangeCount] = (moduleEnd, end)
          rangeCount += 1
        }
        index += 1
      }
    }
    guard rangeCount > 0 else { panic("memory: no usable RAM above 1 MiB") }

    // Frame metadata: one byte per frame between the lowest and highest usable address,
    // taken from the first range (below 4 GiB) that can hold it.
    let frameCount = (highest - lowest) >> pageShift
    let metadataBytes = FrameAllocator.metadataSize(frameCount: frameCount).roundedUp(to: pageSize)
    var metadata: PhysicalAddress? = nil
    for index in 0..<rangeCount
    where ranges[index].end <= bootDirectMapLimit && ranges[index].end - ranges[index].start >= metadataBytes {
      metadata = ranges[index].start
      ranges[index].start += metadataBytes
      break
    }
    guard let metadata else { panic("memory: no room for \(bytes: metadataBytes) of frame metadata") }

    var allocator = FrameAllocator(
      window: directMap, firstFrame: lowest, frameCount: frameCount,
      metadata: directMap.pointer(to: metadata).assumingMemoryBound(to: UInt8.self))
    // Only what the boot direct map reaches for now; the rest once our own tables are live.
    for index in 0..<rangeCount {
      allocator.addFreeRange(start: ranges[index].start, end: min(ranges[index].end, bootDirectMapLimit))
    }
    frames = allocator

    buildKernelAddressSpace(boot)
    for index in 0..<rangeCount where ranges[index].end > bootDirectMapLimit {
      frames!.addFreeRange(start: max(ranges[index].start, bootDirectMapLimit), end: ranges[index].end)
    }
    let stats = frames!.statistics
    Log.info("memory: \(stats.freeFrames) free frames (\(bytes: stats.freeFrames * pageSize)), frame metadata \(bytes: metadataBytes) at \(hex: metadata)")
  }

  /// The kernel image with per-section permissions, the direct map, then CR3 ← the new PML4.
  private static func buildKernelAddressSpace(_ boot: BootInfo) {
    do throws(PageTableError) {
      let space = try PageTable(window: directMap, frames: &frames!)
      // (No closures or classes here: the heap's window is not mapped yet.)
      try mapKernel(space, linker_text_start(), linker_text_end(), .kernelCode)
      try mapKernel(space, linker_rodata_start(), linker_rodata_end(), .kernelReadOnly)
      try mapKernel(space, linker_data_start(), linker_bss_end(), .kernelData)
      // (the guard page between __bss_end and the stack stays unmapped)
      try mapKernel(space, linker_boot_stack_bottom(), linker_boot_stack_top(), .kernelData)
      try mapKernel(space, linker_ksyms_start(), linker_kernel_end(), .kernelReadOnly)
      // The low windows (linker.ld, arch/x86_64/lowdata.S): the Swift runtime's empty
      // singletons and the string literal bytes, which Embedded Swift mishandles at negative
      // addresses. Identity-mapped, supervisor read-only, from 0x40000 to the end of the literals.
      var lowPage: UInt64 = 0x40000
      while lowPage < linker_lowstr_end() {
        try space.map(lowPage, to: lowPage, flags: .kernelReadOnly, frames: &frames!)
        lowPage += 4096
      }

      for index in 0..<boot.regionCount {
        let region = boot.regions[index]
        // RAM and ACPI tables; reserved ranges may be device memory and must not be cached.
        guard region.type == 1 || region.type == 3 || region.type == 4 else { continue }
        try mapWindow(space, base: directMapBase, region: region)
        if region.isUsable { try mapWindow(space, base: heapWindowBase, region: region) }
      }
      kernelSpace = space
      write_cr4(read_cr4() | (1 << 7))  // PGE: global kernel pages survive CR3 switches
      write_cr3(space.root)
    } catch {
      panic("memory: cannot build the kernel address space (\(error.name))")
    }
  }

  private static func mapKernel(_ space: PageTable, _ start: UInt64, _ end: UInt64, _ flags: PageFlags)
    throws(PageTableError)
  {
    try space.mapRange(start, to: physical(ofKernel: start), length: end - start, flags: flags, frames: &frames!)
  }

  /// Maps `region` (rounded out to pages) at `base + physical`, with 2 MiB pages where possible.
  private static func mapWindow(_ space: PageTable, base: UInt64, region: MemoryRegion) throws(PageTableError) {
    var start = region.base.roundedDown(to: pageSize)
    let end = region.end.roundedUp(to: pageSize)
    let big = PageSize.size2M.bytes
    while start < end {
      // Skip pages an overlapping region already mapped.
      if space.translate(base + start) != nil {
        start += pageSize
        continue
      }
      let size: PageSize = start % big == 0 && end - start >= big
        && space.translate(base + start + big - pageSize) == nil ? .size2M : .size4K
      try space.map(base + start, to: start, size: size, flags: .kernelData, frames: &frames!)
      start += size.bytes
    }
  }

  static func isDirectMapped(_ address: UInt64, length: UInt64) -> Bool {
    let inWindow = (address >= directMapBase && address < deviceBase)
      || (address >= heapWindowBase && address < heapWindowBase + (1 << 39))
    guard inWindow else { return false }
    guard let space = kernelSpace else {
      return address - directMapBase + length <= bootDirectMapLimit
    }
    return space.translate(address) != nil && space.translate(address + length - 1) != nil
  }

  // MARK: Kernel mappings (live address space: these flush the TLB)

  static func map(_ virtual: VirtualAddress, to physical: PhysicalAddress, flags: PageFlags)
    throws(PageTableError)
  {
    try kernelSpace!.map(virtual, to: physical, flags: flags, frames: &frames!)
  }

  @discardableResult
  static func unmap(_ virtual: VirtualAddress) throws(PageTableError) -> Translation {
    let translation = try kernelSpace!.unmap(virtual, frames: &frames!)
    invlpg(virtual)
    return translation
  }

  static func protect(_ virtual: VirtualAddress, flags: PageFlags) throws(PageTableError) {
    try kernelSpace!.protect(virtual, flags: flags)
    invlpg(virtual)
  }

  static func translate(_ virtual: VirtualAddress) -> Translation? { kernelSpace?.translate(virtual) }

  /// A pointer to firmware data (ACPI tables, the BIOS area) at `physical`: the direct map,
  /// extended read-only page by page where the memory map left it out.
  static func firmwareTable(_ physical: PhysicalAddress, length: UInt64) -> UnsafeRawPointer {
    var page = physical.roundedDown(to: pageSize)
    while page < physical + max(length, 1) {
      if kernelSpace!.translate(directMapBase + page) == nil {
        do throws(PageTableError) {
          try kernelSpace!.map(directMapBase + page, to: page, flags: .kernelReadOnly, frames: &frames!)
        } catch {
          panic("memory: cannot map firmware table page \(hex: page) (\(error.name))")
        }
      }
      page += pageSize
    }
    return UnsafeRawPointer(directMap.pointer(to: physical))
  }

  /// Maps device registers uncached and returns their virtual address.
  static func mapDevice(_ physical: PhysicalAddress, length: UInt64) -> UnsafeMutableRawPointer {
    let base = physical.roundedDown(to: pageSize)
    let size = (physical + length).roundedUp(to: pageSize) - base
    let virtual = nextDeviceAddress
    do throws(PageTableError) {
      try kernelSpace!.mapRange(virtual, to: base, length: size, flags: .mmio, frames: &frames!)
    } catch {
      panic("memory: cannot map device registers at \(hex: physical) (\(error.name))")
    }
    nextDeviceAddress += size + pageSize  // leave a hole between devices
    return UnsafeMutableRawPointer(bitPattern: UInt(virtual + (physical - base)))!
  }
}

extension PageTableError {
  var name: StaticString {
    switch self {
    case .misaligned: return "misaligned"
    case .nonCanonical: return "non-canonical address"
    case .alreadyMapped: return "already mapped"
    case .notMapped: return "not mapped"
    case .hugePageInTheWay: return "a huge page is in the way"
    case .outOfFrames: return "out of frames"
    }
  }
}

// MARK: Allocation entry points for posix_memalign/free (support/libc.c)

@_cdecl("kernel_heap_allocate")
func kernelHeapAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer? {
  guard KernelMemory.kernelSpace != nil else {
    panic("heap: allocation of \(size) bytes before the memory manager is up")
  }
  let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
  let pointer = KernelMemory.heap.allocate(
    size: size, alignment: max(alignment, 16), frames: &KernelMemory.frames!)
  KernelMemory.heapLock.releaseRestoringInterrupts(flags)
  guard let pointer else {
    // The Swift runtime does not check for failure: report it here rather than fault later.
    panic("heap: out of memory allocating \(size) bytes (alignment \(alignment))")
  }
  return pointer
}

@_cdecl("kernel_heap_free")
func kernelHeapFree(_ pointer: UnsafeMutableRawPointer) {
  let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
  KernelMemory.heap.free(pointer, frames: &KernelMemory.frames!)
  KernelMemory.heapLock.releaseRestoringInterrupts(flags)
}
