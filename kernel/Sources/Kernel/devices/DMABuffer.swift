/// Physically contiguous, zeroed frames a driver lends its device: the only memory the kernel
/// lets a device read or write (docs/DEVICES.md). A driver names a buffer by handle and an
/// offset; it never learns the physical address, and only the kernel writes one into a
/// descriptor. The frames return to the allocator when the last reference goes: the driver's
/// handle and every descriptor in flight hold one, so a buffer closed while the device still
/// owns it lives until the device is done with it (or reset).
final class DMABuffer {
  let physical: PhysicalAddress
  let order: Int
  let size: UInt64
  /// The device it was allocated for (its accounting, and the one device it may be given to).
  let deviceIndex: Int

  /// Largest buffer: 1 MiB (order 8).
  static let maximumOrder = 8

  private init(physical: PhysicalAddress, order: Int, deviceIndex: Int) {
    self.physical = physical
    self.order = order
    self.size = pageSize << UInt64(order)
    self.deviceIndex = deviceIndex
  }

  /// A buffer of at least `bytes` (rounded up to a power-of-two number of pages), zeroed so a
  /// driver never sees what the frames held before; nil if out of frames.
  static func allocate(bytes: UInt64, deviceIndex: Int) -> DMABuffer? {
    var order = 0
    while pageSize << UInt64(order) < bytes { order += 1 }
    guard order <= maximumOrder else { return nil }
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    let frames = KernelMemory.frames!.allocate(order: order)
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
    guard let frames else { return nil }
    // Safe: the block is ours (just allocated) and RAM, which the direct map covers.
    KernelMemory.directMap.pointer(to: frames).initializeMemory(as: UInt8.self, repeating: 0, count: Int(pageSize << UInt64(order)))
    return DMABuffer(physical: frames, order: order, deviceIndex: deviceIndex)
  }

  deinit {
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    KernelMemory.frames!.free(physical)
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
  }

  /// Whether [offset, offset + length) lies inside the buffer (no overflow).
  func contains(offset: UInt64, length: UInt64) -> Bool {
    offset <= size && length <= size - offset
  }

  /// The kernel's view of byte `offset` (inside the buffer: callers check `contains`).
  func pointer(at offset: UInt64) -> UnsafeMutableRawPointer {
    KernelMemory.directMap.pointer(to: physical + offset)
  }
}
