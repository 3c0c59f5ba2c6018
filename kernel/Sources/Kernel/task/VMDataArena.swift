/// User read-write memory for the data that compiled WebAssembly code reads and writes in ring
/// 3 (the runtime's VM contexts, tables, global cells, function references, activation records,
/// argument slots): power-of-two size classes of 16 B … 2 KiB carved from 256 KiB user chunks,
/// larger blocks in their own reservation. The bookkeeping stays in kernel memory, so user code
/// cannot corrupt the allocator; blocks are zero when first used, not when reused.
enum VMDataArena {
  static let chunkSize: UInt64 = 256 << 10
  static let smallestClass: UInt64 = 16
  static let largestClass: UInt64 = 2048
  static let classCount = 8  // 16 … 2048

  nonisolated(unsafe) static var freeLists: [[UInt64]] = []
  nonisolated(unsafe) static var chunkNext: UInt64 = 0
  nonisolated(unsafe) static var chunkEnd: UInt64 = 0
  /// Size class (or, for large blocks, -pages) of every live block, by address.
  nonisolated(unsafe) static var live: [UInt64: Int] = [:]
  nonisolated(unsafe) static let lock = SharedSpinlock()

  static func allocate(byteCount: Int, alignment: Int) -> UInt64? {
    guard byteCount >= 0, alignment > 0, alignment.nonzeroBitCount == 1 else { return nil }
    let wanted = UInt64(max(byteCount, alignment, 1))
    if wanted > largestClass || UInt64(alignment) > pageSize {
      let size = wanted.roundedUp(to: pageSize)
      guard let base = UserSpace.reserve(byteCount: size),
            UserSpace.commit(base, byteCount: size, protection: .readWrite)
      else { return nil }
      lock.withLock { live[base] = -Int(size / pageSize) }
      return base
    }
    var classIndex = 0
    while smallestClass << UInt64(classIndex) < wanted { classIndex += 1 }
    let classSize = smallestClass << UInt64(classIndex)
    if let reused = lock.withLock({ () -> UInt64? in
      if freeLists.isEmpty { freeLists = [[UInt64]](repeating: [], count: classCount) }
      guard let block = freeLists[classIndex].popLast() else { return nil }
      live[block] = classIndex
      return block
    }) {
      return reused
    }
    // Carve from the current chunk (class sizes are powers of two: aligned by construction
    // when the cursor is aligned to the class).
    while true {
      let carved = lock.withLock { () -> UInt64? in
        let start = chunkNext.roundedUp(to: classSize)
        guard chunkEnd != 0, start + classSize <= chunkEnd else { return nil }
        chunkNext = start + classSize
        live[start] = classIndex
        return start
      }
      if let carved { return carved }
      guard let chunk = UserSpace.reserve(byteCount: chunkSize),
            UserSpace.commit(chunk, byteCount: chunkSize, protection: .readWrite)
      else { return nil }
      lock.withLock {
        chunkNext = chunk
        chunkEnd = chunk + chunkSize
      }
    }
  }

  static func deallocate(_ address: UInt64) {
    let large = lock.withLock { () -> Int? in
      guard let entry = live.removeValue(forKey: address) else { return nil }
      if entry >= 0 {
        freeLists[entry].append(address)
        return nil
      }
      return -entry
    }
    if large != nil { UserSpace.release(address) }
  }
}
