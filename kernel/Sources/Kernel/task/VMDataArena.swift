/// User read-write memory for the data that compiled WebAssembly code reads and writes in ring
/// 3 (the runtime's VM contexts, tables, global cells, function references, activation records,
/// argument slots): power-of-two size classes of 16 B … 2 KiB carved from 256 KiB user chunks,
/// larger blocks in their own reservation. The bookkeeping stays in kernel memory, so user code
/// cannot corrupt the allocator; blocks are zero when first used, not when reused.
///
/// Each program (task) has its own arena (`of(_:)`), released whole when the task is reaped:
/// its chunks and large blocks go back to `UserSpace` even if the runtime leaked a block.
final class VMDataArena {
  static let chunkSize: UInt64 = 256 << 10
  static let smallestClass: UInt64 = 16
  static let largestClass: UInt64 = 2048
  static let classCount = 8  // 16 … 2048

  private var freeLists = [[UInt64]](repeating: [], count: VMDataArena.classCount)
  private var chunkNext: UInt64 = 0
  private var chunkEnd: UInt64 = 0
  /// Every chunk's reservation.
  private var chunks: [UInt64] = []
  /// Size class (or, for large blocks, -pages) of every live block, by address.
  private var live: [UInt64: Int] = [:]
  // A task's arena is used by the task only, but its host calls may run on any CPU.
  private let lock = SharedSpinlock()

  deinit { lock.deallocate() }

  /// The arena of `task`, created on first use.
  static func of(_ task: Task) -> VMDataArena {
    if let arena = task.vmData { return arena }
    let arena = VMDataArena()
    task.vmData = arena
    return arena
  }

  func allocate(byteCount: Int, alignment: Int) -> UInt64? {
    guard byteCount >= 0, alignment > 0, alignment.nonzeroBitCount == 1 else { return nil }
    let wanted = UInt64(max(byteCount, alignment, 1))
    if wanted > Self.largestClass || UInt64(alignment) > pageSize {
      let size = wanted.roundedUp(to: pageSize)
      guard let base = UserSpace.reserve(byteCount: size) else { return nil }
      guard UserSpace.commit(base, byteCount: size, protection: .readWrite) else {
        UserSpace.release(base)
        return nil
      }
      lock.withLock { live[base] = -Int(size / pageSize) }
      return base
    }
    var classIndex = 0
    while Self.smallestClass << UInt64(classIndex) < wanted { classIndex += 1 }
    let classSize = Self.smallestClass << UInt64(classIndex)
    if let reused = lock.withLock({ () -> UInt64? in
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
      guard let chunk = UserSpace.reserve(byteCount: Self.chunkSize) else { return nil }
      guard UserSpace.commit(chunk, byteCount: Self.chunkSize, protection: .readWrite) else {
        UserSpace.release(chunk)
        return nil
      }
      lock.withLock {
        chunks.append(chunk)
        chunkNext = chunk
        chunkEnd = chunk + Self.chunkSize
      }
    }
  }

  /// Returns a block; addresses this arena did not hand out are ignored.
  func deallocate(_ address: UInt64) {
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

  /// Gives every chunk and large block back to `UserSpace` (the task has ended).
  func releaseAll() {
    let (chunks, large) = lock.withLock { () -> ([UInt64], [UInt64]) in
      let large = live.filter { $0.value < 0 }.map { $0.key }
      let chunks = self.chunks
      self.chunks = []
      live = [:]
      freeLists = [[UInt64]](repeating: [], count: Self.classCount)
      chunkNext = 0
      chunkEnd = 0
      return (chunks, large)
    }
    for chunk in chunks { UserSpace.release(chunk) }
    for block in large { UserSpace.release(block) }
  }
}
