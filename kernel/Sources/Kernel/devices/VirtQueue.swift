/// One split virtqueue (virtio 1.x, section 2.7) whose rings live in kernel memory: the driver
/// program never writes a descriptor. It hands the kernel (buffer, offset, length, direction)
/// segments; the kernel checks them, writes the physical addresses itself and publishes the
/// chain — so with no IOMMU the device still only ever sees addresses of the driver's own DMA
/// buffers (docs/DEVICES.md). Completions are read back through `reap`.
///
/// Layout of the 16 KiB block (order 2): descriptors at 0 (16 bytes each, at most 256), the
/// available ring at 4096, the used ring at 8192 (with room for the event-index fields).
final class VirtQueue {
  static let maximumSize = 256
  static let maximumChain = 16
  static let availableOffset: UInt64 = 4096, usedOffset: UInt64 = 8192
  static let descriptorNext: UInt16 = 1, descriptorWrite: UInt16 = 2

  let index: UInt32
  let size: Int
  let memory: PhysicalAddress
  private var freeDescriptors: [UInt16]
  /// Per head descriptor: the chain's descriptors and the buffers the device may be using.
  private var inFlight: [InFlight?]
  private var nextAvailable: UInt16 = 0
  private var lastUsed: UInt16 = 0

  struct InFlight {
    var descriptors: [UInt16]
    var buffers: [DMABuffer]
  }

  /// A segment of a request: bytes [offset, offset + length) of `buffer`; `deviceWrites` for
  /// the parts the device fills in (a read's data, a status byte).
  struct Segment {
    var buffer: DMABuffer
    var offset: UInt64
    var length: UInt32
    var deviceWrites: Bool
  }

  private init(index: UInt32, size: Int, memory: PhysicalAddress) {
    self.index = index
    self.size = size
    self.memory = memory
    freeDescriptors = (0..<UInt16(size)).reversed().map { $0 }
    inFlight = Array(repeating: nil, count: size)
  }

  /// Zeroed ring memory for `size` entries (a power of two, at most 256); nil if out of frames.
  static func allocate(index: UInt32, size: Int) -> VirtQueue? {
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    let block = KernelMemory.frames!.allocate(order: 2)
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
    guard let block else { return nil }
    // Safe: a block just allocated for this queue, RAM in the direct map.
    KernelMemory.directMap.pointer(to: block).initializeMemory(as: UInt8.self, repeating: 0, count: 4 * Int(pageSize))
    return VirtQueue(index: index, size: size, memory: block)
  }

  deinit {
    // Only after a device reset (or before the queue was enabled): the device no longer
    // touches the rings, and `inFlight` lets go of the buffers with this object.
    let flags = KernelMemory.heapLock.acquireDisablingInterrupts()
    KernelMemory.frames!.free(memory)
    KernelMemory.heapLock.releaseRestoringInterrupts(flags)
  }

  var descriptorTable: PhysicalAddress { memory }
  var availableRing: PhysicalAddress { memory + VirtQueue.availableOffset }
  var usedRing: PhysicalAddress { memory + VirtQueue.usedOffset }
  var freeCount: Int { freeDescriptors.count }

  /// Writes `segments` (checked by the caller: each inside its buffer, of this device) as one
  /// descriptor chain and makes it available; returns the head (the request's id), or nil if
  /// there are not enough free descriptors.
  func submit(_ segments: [Segment]) -> UInt16? {
    guard !segments.isEmpty, segments.count <= freeDescriptors.count else { return nil }
    var chain: [UInt16] = []
    for _ in segments { chain.append(freeDescriptors.removeLast()) }
    let table = KernelMemory.directMap.pointer(to: descriptorTable)
    for (position, segment) in segments.enumerated() {
      // Safe: descriptor slots are inside the queue's block (index < size ≤ 256).
      let entry = table + Int(chain[position]) * 16
      entry.storeBytes(of: segment.buffer.physical + segment.offset, toByteOffset: 0, as: UInt64.self)
      entry.storeBytes(of: segment.length, toByteOffset: 8, as: UInt32.self)
      var flags: UInt16 = segment.deviceWrites ? VirtQueue.descriptorWrite : 0
      if position + 1 < segments.count { flags |= VirtQueue.descriptorNext }
      entry.storeBytes(of: flags, toByteOffset: 12, as: UInt16.self)
      entry.storeBytes(of: position + 1 < segments.count ? chain[position + 1] : 0, toByteOffset: 14, as: UInt16.self)
    }
    let head = chain[0]
    inFlight[Int(head)] = InFlight(descriptors: chain, buffers: segments.map { $0.buffer })
    let available = KernelMemory.directMap.pointer(to: availableRing)
    available.storeBytes(of: head, toByteOffset: 4 + 2 * Int(nextAvailable % UInt16(size)), as: UInt16.self)
    nextAvailable &+= 1
    // The descriptors and ring entry must be visible before the index that publishes them.
    memory_fence()
    volatileStore16(available + 2, nextAvailable)
    memory_fence()
    return head
  }

  /// The next completed request (its head id and the bytes the device wrote), releasing its
  /// descriptors and buffers; nil if none. `.failure` if the device reported an id that is not
  /// in flight (a broken device: nothing is released).
  func reap() -> Result<(id: UInt16, length: UInt32)?, DeviceError> {
    let used = KernelMemory.directMap.pointer(to: usedRing)
    let usedIndex = volatileLoad16(used + 2)
    guard usedIndex != lastUsed else { return .success(nil) }
    memory_fence()  // the entries the index covers, read after the index
    let entry = used + 4 + 8 * Int(lastUsed % UInt16(size))
    let id = entry.load(fromByteOffset: 0, as: UInt32.self)
    let length = entry.load(fromByteOffset: 4, as: UInt32.self)
    guard id < UInt32(size), let request = inFlight[Int(id)] else { return .failure(.deviceMisbehaved) }
    lastUsed &+= 1
    inFlight[Int(id)] = nil
    freeDescriptors.append(contentsOf: request.descriptors)
    return .success((UInt16(id), length))
  }

  private func volatileStore16(_ pointer: UnsafeMutableRawPointer, _ value: UInt16) {
    mmio_write16(UInt64(UInt(bitPattern: pointer)), value)
  }

  private func volatileLoad16(_ pointer: UnsafeMutableRawPointer) -> UInt16 {
    mmio_read16(UInt64(UInt(bitPattern: pointer)))
  }
}
