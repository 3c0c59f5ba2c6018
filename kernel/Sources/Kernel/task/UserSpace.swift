/// The user half of the one address space every program shares (PML4 entries 0–254; the
/// kernel's entries 255–511 are supervisor-only). WebAssembly isolates programs from each other;
/// ring 3 and the supervisor bit isolate the kernel from them.
///
/// Memory is handed out as *reservations* (address space only) in which ranges are *committed*
/// with a protection. A released reservation's range (with the gap after it) returns to a free
/// list once every CPU's TLB has forgotten it, and later reservations take from that list
/// first (first fit), so the number of program starts per boot has no ceiling. Committed pages are backed
/// lazily: the first touch faults, and the fault handler maps a zeroed frame. Changing the
/// protection of backed pages or decommitting them flushes every CPU's TLB.
///
/// No overcommit: a commit is a promise of frames, so it is refused when the pages committed
/// but not yet backed would no longer fit in the free frames minus `keptFreeFrames` (for the
/// kernel's heap, page tables, stacks and DMA buffers). A refused commit is an error its caller
/// reports (memory.grow returns -1, a program cannot start), never a fault later in an innocent
/// program. Committed pages are counted per owner (the task that reserved them, or the task it
/// allocates for) for `ps` and `mem`.
enum UserSpace {
  static let start: UInt64 = 0x0000_0000_4000_0000
  static let limit: UInt64 = UInt64(USER_ADDRESS_LIMIT)
  /// Unmapped space left after each reservation.
  static let gap: UInt64 = 64 << 10

  struct Commit {
    var start: UInt64
    var end: UInt64
    var protection: UserProtection
  }

  struct Reservation {
    var base: UInt64
    var size: UInt64
    /// The task id its committed pages count for (0: the kernel).
    var owner: UInt32
    var committedPages: UInt64 = 0
    /// Committed ranges, disjoint, in no particular order.
    var commits: [Commit] = []
    var end: UInt64 { base + size }
  }

  /// A range of address space nobody holds, [start, end).
  struct FreeRange {
    var start: UInt64
    var end: UInt64
  }

  /// In address order (the binary search in `reservationIndex` relies on it).
  nonisolated(unsafe) static var reservations: [Reservation] = []
  /// Released ranges, in address order, adjacent ones merged; all below `nextAddress`.
  nonisolated(unsafe) static var freeRanges: [FreeRange] = []
  /// Where never-used address space begins (the high-water mark).
  nonisolated(unsafe) static var nextAddress = start
  /// Bytes of live reservations (without their gaps).
  nonisolated(unsafe) static var reservedBytes: UInt64 = 0
  nonisolated(unsafe) static var backedPages: UInt64 = 0
  nonisolated(unsafe) static var lazyFaults: UInt64 = 0
  /// Pages committed in all reservations (backed or not) and per owner task id.
  nonisolated(unsafe) static var committedPages: UInt64 = 0
  nonisolated(unsafe) static var committedPagesByOwner: [UInt32: UInt64] = [:]
  /// Commits refused because the machine's frames were all promised.
  nonisolated(unsafe) static var refusedCommits: UInt64 = 0
  /// Faults on committed pages that found no free frame (the kernel ate into the kept frames):
  /// the program touching the page is ended with "out of memory".
  nonisolated(unsafe) static var outOfFrameFaults: UInt64 = 0
  nonisolated(unsafe) static let lock = SharedSpinlock()

  // MARK: Reservations

  /// Frames never promised to user memory: 1/16 of the machine's, at least 8 MiB.
  static func keptFreeFrames(totalFrames: UInt64) -> UInt64 { max(2048, totalFrames / 16) }

  /// The task the running code allocates for (its `allocationOwner`, else itself), 0 before the
  /// scheduler runs.
  static func currentOwner() -> UInt32 {
    guard Scheduler.isRunning else { return 0 }
    let task = Scheduler.currentTask
    return (task.allocationOwner ?? task).id
  }

  /// Bytes committed for task `owner` (all its reservations: linear memory, code, VM data,
  /// stack).
  static func committedBytes(owner: UInt32) -> UInt64 {
    lock.withLock { (committedPagesByOwner[owner] ?? 0) &* pageSize }
  }

  /// Reserves `byteCount` bytes (rounded up to pages) of inaccessible address space for
  /// `owner` (default: the running task's memory owner).
  static func reserve(byteCount: UInt64, owner: UInt32? = nil) -> UInt64? {
    guard byteCount > 0, byteCount <= limit else { return nil }
    let size = byteCount.roundedUp(to: pageSize)
    let owner = owner ?? currentOwner()
    return lock.withLock { () -> UInt64? in
      let base: UInt64
      if let index = freeRanges.firstIndex(where: { $0.end - $0.start >= size + gap }) {
        base = freeRanges[index].start
        freeRanges[index].start += size + gap
        if freeRanges[index].start == freeRanges[index].end { freeRanges.remove(at: index) }
      } else {
        base = nextAddress
        guard base < limit, limit - base >= size &+ gap else { return nil }
        nextAddress = base + size + gap
      }
      reservations.insert(Reservation(base: base, size: size, owner: owner), at: insertionIndex(for: base))
      reservedBytes += size
      return base
    }
  }

  /// Commits [address, address + byteCount) with `protection` (nil decommits: the pages are
  /// unmapped and their frames freed). Pages already backed keep their contents and take the
  /// new protection; the rest are backed on first touch. False if the range is not inside one
  /// reservation, or if the machine cannot promise frames for the newly committed pages.
  static func commit(_ address: UInt64, byteCount: UInt64, protection: UserProtection?) -> Bool {
    guard byteCount > 0, address % pageSize == 0 else { return false }
    let end = (address &+ byteCount).roundedUp(to: pageSize)
    guard end > address else { return false }
    let changedMappings = lock.withLock { () -> Bool? in
      guard let index = reservationIndex(containing: address), end <= reservations[index].end else {
        return nil
      }
      let covered = committedPages(in: reservations[index], address, end)
      if protection != nil {
        let added = (end - address) / pageSize - covered
        guard added == 0 || framesCanBePromised(added) else {
          refusedCommits &+= 1
          return nil
        }
        charge(&reservations[index], pages: added)
      } else {
        uncharge(&reservations[index], pages: covered)
      }
      setProtection(&reservations[index], address, end, protection)
      return applyToBackedPages(address, end, protection)
    }
    guard let changedMappings else { return false }
    if changedMappings { TLB.shootdown(address, pages: (end - address) / pageSize) }
    return true
  }

  /// Decommits everything and forgets the reservation.
  static func release(_ address: UInt64) {
    let range = lock.withLock { () -> (UInt64, UInt64, Bool)? in
      guard let index = reservationIndex(containing: address), reservations[index].base == address else {
        return nil
      }
      var reservation = reservations.remove(at: index)
      reservedBytes -= reservation.size
      uncharge(&reservation, pages: reservation.committedPages)
      let changed = applyToBackedPages(reservation.base, reservation.end, nil)
      return (reservation.base, reservation.end, changed)
    }
    guard let (start, end, changed) = range else { return }
    // Only after the shootdown may the range be handed out again: until then another CPU
    // could still reach the old frames through its TLB.
    if changed { TLB.shootdown(start, pages: (end - start) / pageSize) }
    lock.withLock { free(FreeRange(start: start, end: end + gap)) }
  }

  // MARK: Faults

  /// What a fault on a user page came to.
  enum FaultOutcome: Equatable {
    /// The page is backed now (or already was): retry the access.
    case backed
    /// Not committed, or the access is not allowed: a genuine fault.
    case refused
    /// Committed, but no frame was free to back it (and none promised was left).
    case outOfFrames
  }

  /// Backs the page at `address` if it is committed with a protection that allows the access.
  /// Called from the page-fault handler (user mode, or the kernel inside a user access).
  static func handleFault(_ address: UInt64, write: Bool, execute: Bool) -> FaultOutcome {
    guard address >= start, address < limit else { return .refused }
    let page = address.roundedDown(to: pageSize)
    return lock.withLock { () -> FaultOutcome in
      guard let index = reservationIndex(containing: address),
            let commit = reservations[index].commits.first(where: { $0.start <= address && address < $0.end })
      else { return .refused }
      switch commit.protection {
      case .readOnly: if write || execute { return .refused }
      case .readWrite: if execute { return .refused }
      case .readExecute: if write { return .refused }
      }
      if KernelMemory.translate(page) != nil { return .backed }  // another CPU backed it first
      let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
      defer { KernelMemory.heapLock.releaseRestoringInterrupts(flags) }
      guard let frame = KernelMemory.frames!.allocate(order: 0) else {
        outOfFrameFaults &+= 1
        return .outOfFrames
      }
      KernelMemory.directMap.zeroPage(frame)
      do throws(PageTableError) {
        try KernelMemory.kernelSpace!.map(page, to: frame, flags: commit.protection.pageFlags, frames: &KernelMemory.frames!)
      } catch {
        // No frame for a page table: as out of memory as no frame for the page.
        KernelMemory.frames!.free(frame)
        outOfFrameFaults &+= 1
        return .outOfFrames
      }
      backedPages &+= 1
      lazyFaults &+= 1
      return .backed
    }
  }

  /// Whether `address` lies in committed memory (for fault reports).
  static func isCommitted(_ address: UInt64) -> Bool {
    lock.withLock {
      guard let index = reservationIndex(containing: address) else { return false }
      return reservations[index].commits.contains { $0.start <= address && address < $0.end }
    }
  }

  // MARK: Internals (lock held)

  /// Pages of [start, end) that `reservation` has committed (its commits are disjoint).
  private static func committedPages(in reservation: Reservation, _ start: UInt64, _ end: UInt64) -> UInt64 {
    var pages: UInt64 = 0
    for commit in reservation.commits where commit.end > start && commit.start < end {
      pages += (min(commit.end, end) - max(commit.start, start)) / pageSize
    }
    return pages
  }

  /// Whether `pages` more can be promised: every committed page not yet backed must still find
  /// a free frame, with `keptFreeFrames` left for the kernel.
  private static func framesCanBePromised(_ pages: UInt64) -> Bool {
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    let statistics = KernelMemory.frames!.statistics
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
    let promised = committedPages &- backedPages
    return promised &+ pages &+ keptFreeFrames(totalFrames: statistics.totalFrames) <= statistics.freeFrames
  }

  private static func charge(_ reservation: inout Reservation, pages: UInt64) {
    guard pages > 0 else { return }
    reservation.committedPages += pages
    committedPages &+= pages
    committedPagesByOwner[reservation.owner, default: 0] &+= pages
  }

  private static func uncharge(_ reservation: inout Reservation, pages: UInt64) {
    guard pages > 0 else { return }
    reservation.committedPages -= pages
    committedPages &-= pages
    let left = (committedPagesByOwner[reservation.owner] ?? pages) &- pages
    if left == 0 { committedPagesByOwner.removeValue(forKey: reservation.owner) } else { committedPagesByOwner[reservation.owner] = left }
  }

  /// Where a reservation at `base` goes to keep `reservations` in address order.
  private static func insertionIndex(for base: UInt64) -> Int {
    var low = 0
    var high = reservations.count
    while low < high {
      let middle = (low + high) / 2
      if reservations[middle].base < base { low = middle + 1 } else { high = middle }
    }
    return low
  }

  /// Returns `range` to the free list, merged with its neighbours; a free range that reaches
  /// the high-water mark lowers it instead.
  private static func free(_ range: FreeRange) {
    var merged = range
    var index = freeRanges.firstIndex(where: { $0.start > range.start }) ?? freeRanges.count
    if index > 0, freeRanges[index - 1].end == merged.start {
      merged.start = freeRanges[index - 1].start
      freeRanges.remove(at: index - 1)
      index -= 1
    }
    if index < freeRanges.count, freeRanges[index].start == merged.end {
      merged.end = freeRanges[index].end
      freeRanges.remove(at: index)
    }
    if merged.end == nextAddress {
      nextAddress = merged.start
    } else {
      freeRanges.insert(merged, at: index)
    }
  }

  private static func reservationIndex(containing address: UInt64) -> Int? {
    var low = 0
    var high = reservations.count
    while low < high {  // reservations are in address order
      let middle = (low + high) / 2
      if reservations[middle].end <= address { low = middle + 1 } else { high = middle }
    }
    guard low < reservations.count, reservations[low].base <= address else { return nil }
    return low
  }

  private static func setProtection(
    _ reservation: inout Reservation, _ start: UInt64, _ end: UInt64, _ protection: UserProtection?
  ) {
    var kept: [Commit] = []
    for commit in reservation.commits {
      if commit.end <= start || commit.start >= end {
        kept.append(commit)
        continue
      }
      if commit.start < start { kept.append(Commit(start: commit.start, end: start, protection: commit.protection)) }
      if commit.end > end { kept.append(Commit(start: end, end: commit.end, protection: commit.protection)) }
    }
    if let protection { kept.append(Commit(start: start, end: end, protection: protection)) }
    reservation.commits = kept
  }

  /// Re-protects (or, for nil, unmaps and frees) the backed pages in [start, end); returns
  /// whether any mapping changed (the caller then shoots down the TLBs).
  private static func applyToBackedPages(_ start: UInt64, _ end: UInt64, _ protection: UserProtection?) -> Bool {
    let space = KernelMemory.kernelSpace!
    var changed = false
    var cursor = start
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    while let page = space.firstMapped(from: cursor, below: end) {
      cursor = page + pageSize
      do throws(PageTableError) {
        if let protection {
          try space.protect(page, flags: protection.pageFlags)
        } else {
          let translation = try space.unmap(page, frames: &KernelMemory.frames!)
          KernelMemory.frames!.free(translation.physical)
          backedPages &-= 1
        }
        changed = true
      } catch {
        panic("user space: cannot change the mapping at \(hex: page) (\(error.name))")
      }
    }
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
    return changed
  }
}

/// Protection of committed user memory. Writable and executable are never granted together.
enum UserProtection: Equatable {
  case readOnly, readWrite, readExecute

  var pageFlags: PageFlags {
    switch self {
    case .readOnly: return PageFlags(rawValue: PageFlags.user.rawValue | PageFlags.noExecute.rawValue)
    case .readWrite:
      return PageFlags(rawValue: PageFlags.user.rawValue | PageFlags.writable.rawValue | PageFlags.noExecute.rawValue)
    case .readExecute: return PageFlags.user
    }
  }
}

/// Kernel access to user memory: ranges are checked to lie in the user half, and the copy runs
/// with SMAP lifted (STAC/CLAC in user_copy); missing pages are backed on the way or make the
/// copy fail (the page-fault handler resumes at the routine's fix-up).
enum UserMemory {
  static func isUserRange(_ address: UInt64, count: UInt64) -> Bool {
    address >= pageSize && address < UserSpace.limit && count <= UserSpace.limit - address
  }

  static func copyIn(_ destination: UnsafeMutableRawPointer, from address: UInt64, count: Int) -> Bool {
    guard count >= 0, isUserRange(address, count: UInt64(count)) else { return false }
    return user_copy(destination, UnsafeRawPointer(bitPattern: UInt(address)), UInt64(count)) == 0
  }

  static func copyOut(to address: UInt64, from source: UnsafeRawPointer, count: Int) -> Bool {
    guard count >= 0, isUserRange(address, count: UInt64(count)) else { return false }
    return user_copy(UnsafeMutableRawPointer(bitPattern: UInt(address)), source, UInt64(count)) == 0
  }
}
