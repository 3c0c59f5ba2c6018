/// Why a device operation was refused; each case is one WASI errno for the driver program.
enum DeviceError: Error {
  case notGranted, noDevice, busy, unsupported, outOfRange, misaligned, kernelOwned, invalid
  case badState, noMemory, tryAgain, deviceMisbehaved, timedOut, interrupted

  var errno: UInt16 {
    switch self {
    case .notGranted: return 2  // acces
    case .noDevice: return 43  // nodev
    case .busy: return 10  // busy
    case .unsupported: return 58  // notsup
    case .outOfRange: return 68  // range
    case .misaligned, .invalid: return 28  // inval
    case .kernelOwned: return 63  // perm
    case .badState: return 7  // already (a queue set up twice)
    case .noMemory: return 48  // nomem
    case .tryAgain: return 6  // again
    case .deviceMisbehaved: return 29  // io
    case .timedOut: return 73  // timedout
    case .interrupted: return 27  // intr
    }
  }
}

/// A device the kernel found at boot. The kernel keeps it reset and its interrupt masked until
/// a driver opens it; while open it belongs to that one program (`owner`), and the kernel
/// mediates every access (docs/DEVICES.md): registers by offset inside the window, only some
/// of them writable; virtqueue rings in kernel memory; DMA only into the driver's buffers.
final class Device {
  let index: Int
  /// The class the manifest grants (`device=virtio-blk`): "virtio-blk", "virtio-net", …
  let className: String
  let window: VirtioMMIOWindow
  /// Virtual address of the registers (uncached).
  let registers: UInt64
  let vector: UInt8
  let version: UInt32
  let deviceID: UInt32

  // Under `Devices.lock`:
  /// The pid of the driver that has it open (0: nobody).
  var owner: UInt32 = 0
  /// Interrupts taken since the driver last waited (the line is masked meanwhile).
  var pendingInterrupts: UInt32 = 0
  var waiter: Task?
  var interruptCount: UInt64 = 0

  // Used by the owner's task only (one host call at a time):
  var queues: [VirtQueue?] = []
  /// DMA memory allocated for it (all of its buffers), against `Devices.dmaLimit`.
  var dmaBytes: UInt64 = 0
  /// DriverFeaturesSel as last written (to check which feature word a write sets).
  var driverFeaturesSelect: UInt32 = 0

  init(index: Int, className: String, window: VirtioMMIOWindow, registers: UInt64, vector: UInt8,
       version: UInt32, deviceID: UInt32) {
    self.index = index
    self.className = className
    self.window = window
    self.registers = registers
    self.vector = vector
    self.version = version
    self.deviceID = deviceID
  }

  // MARK: Registers

  /// Reads `width` (1, 2 or 4) bytes at `offset` of the window.
  func read(offset: UInt64, width: UInt64) -> Result<UInt32, DeviceError> {
    if let error = check(offset: offset, width: width) { return .failure(error) }
    // Safe: `check` keeps the access inside the mapped, uncached window.
    let address = registers + offset
    switch width {
    case 1: return .success(UInt32(mmio_read8(address)))
    case 2: return .success(UInt32(mmio_read16(address)))
    default: return .success(mmio_read32(address))
    }
  }

  /// Writes `value` at `offset` if the driver may write that register (`VirtioMMIO.writable`):
  /// the queue address, size and ready registers are the kernel's. Writing 0 to Status resets
  /// the device, and the kernel then drops its queues.
  func write(offset: UInt64, width: UInt64, value: UInt32) -> DeviceError? {
    if let error = check(offset: offset, width: width) { return error }
    guard VirtioMMIO.writable(offset: offset, width: width) else { return .kernelOwned }
    if offset == VirtioMMIO.driverFeatures, driverFeaturesSelect == 1, value & VirtioMMIO.refusedFeatureBitsHigh != 0 {
      return .unsupported  // the packed ring would read the kernel's split ring as another layout
    }
    if offset == VirtioMMIO.status, value == 0 {
      reset()
      return nil
    }
    if offset == VirtioMMIO.driverFeaturesSelect { driverFeaturesSelect = value }
    let address = registers + offset
    switch width {
    case 1: mmio_write8(address, UInt8(truncatingIfNeeded: value))
    case 2: mmio_write16(address, UInt16(truncatingIfNeeded: value))
    default: mmio_write32(address, value)
    }
    return nil
  }

  private func check(offset: UInt64, width: UInt64) -> DeviceError? {
    guard width == 1 || width == 2 || width == 4 else { return .invalid }
    guard offset < window.size, width <= window.size - offset else { return .outOfRange }
    guard offset % width == 0 else { return .misaligned }
    return nil
  }

  private func register(_ offset: UInt64) -> UInt32 { mmio_read32(registers + offset) }
  private func setRegister(_ offset: UInt64, _ value: UInt32) { mmio_write32(registers + offset, value) }

  /// Resets the device (Status ← 0, then waits until it reads back 0, as virtio requires) and
  /// frees the queues: after a reset the device uses no ring and no buffer.
  func reset() {
    setRegister(VirtioMMIO.status, 0)
    var spins = 0
    while register(VirtioMMIO.status) != 0, spins < 1_000_000 {
      cpu_pause()
      spins += 1
    }
    queues = []
  }

  // MARK: Queues

  /// Sets up queue `queueIndex` with `requested` entries (a power of two; at most what the
  /// device offers and `VirtQueue.maximumSize`) in kernel memory: the kernel writes its size,
  /// ring addresses and ready bit. Returns the size used.
  func setUpQueue(_ queueIndex: UInt32, requested: UInt32) -> Result<Int, DeviceError> {
    guard queueIndex < 16 else { return .failure(.outOfRange) }
    guard requested > 0, requested & (requested - 1) == 0 else { return .failure(.invalid) }
    setRegister(VirtioMMIO.queueSelect, queueIndex)
    guard register(VirtioMMIO.queueReady) == 0, queue(queueIndex) == nil else { return .failure(.badState) }
    let offered = register(VirtioMMIO.queueSizeMaximum)
    guard offered > 0 else { return .failure(.noDevice) }
    let size = Int(min(requested, offered, UInt32(VirtQueue.maximumSize)))
    guard let queue = VirtQueue.allocate(index: queueIndex, size: size) else { return .failure(.noMemory) }
    setRegister(VirtioMMIO.queueSize, UInt32(size))
    setRegister(VirtioMMIO.queueDescriptorLow, UInt32(truncatingIfNeeded: queue.descriptorTable))
    setRegister(VirtioMMIO.queueDescriptorLow + 4, UInt32(truncatingIfNeeded: queue.descriptorTable >> 32))
    setRegister(VirtioMMIO.queueDriverLow, UInt32(truncatingIfNeeded: queue.availableRing))
    setRegister(VirtioMMIO.queueDriverLow + 4, UInt32(truncatingIfNeeded: queue.availableRing >> 32))
    setRegister(VirtioMMIO.queueDeviceLow, UInt32(truncatingIfNeeded: queue.usedRing))
    setRegister(VirtioMMIO.queueDeviceLow + 4, UInt32(truncatingIfNeeded: queue.usedRing >> 32))
    setRegister(VirtioMMIO.queueReady, 1)
    while queues.count <= Int(queueIndex) { queues.append(nil) }
    queues[Int(queueIndex)] = queue
    return .success(size)
  }

  func queue(_ queueIndex: UInt32) -> VirtQueue? {
    Int(queueIndex) < queues.count ? queues[Int(queueIndex)] : nil
  }

  /// Publishes a checked chain and notifies the device. Returns the request id.
  func submit(queue queueIndex: UInt32, _ segments: [VirtQueue.Segment]) -> Result<UInt16, DeviceError> {
    guard let queue = queue(queueIndex) else { return .failure(.badState) }
    guard !segments.isEmpty, segments.count <= VirtQueue.maximumChain else { return .failure(.invalid) }
    for segment in segments {
      guard segment.buffer.deviceIndex == index else { return .failure(.invalid) }
      guard segment.length > 0, segment.buffer.contains(offset: segment.offset, length: UInt64(segment.length)) else {
        return .failure(.outOfRange)
      }
    }
    guard let id = queue.submit(segments) else { return .failure(.tryAgain) }
    setRegister(VirtioMMIO.queueNotify, queueIndex)
    return .success(id)
  }

  func reap(queue queueIndex: UInt32) -> Result<(id: UInt16, length: UInt32)?, DeviceError> {
    guard let queue = queue(queueIndex) else { return .failure(.badState) }
    return queue.reap()
  }

  // MARK: Interrupts

  /// Blocks until the device interrupts (at once if it did since the last wait); the line is
  /// unmasked while the driver waits. `timeoutMilliseconds` nil: no limit (the task sleeps in
  /// the scheduler until the interrupt or a kill); otherwise it polls every 10 ms at most.
  func waitForInterrupt(timeoutMilliseconds: UInt32?) -> DeviceError? {
    let task = Scheduler.currentTask
    let deadline = timeoutMilliseconds.map { Clock.microsecondsSinceBoot() &+ UInt64($0) * 1000 }
    while true {
      let flags = Devices.lock.acquireDisablingInterrupts()
      if pendingInterrupts > 0 {
        pendingInterrupts = 0
        Devices.lock.releaseRestoringInterrupts(flags)
        return nil
      }
      if task.killRequested {
        Devices.lock.releaseRestoringInterrupts(flags)
        return .interrupted
      }
      if let deadline, Clock.microsecondsSinceBoot() >= deadline {
        Devices.lock.releaseRestoringInterrupts(flags)
        return .timedOut
      }
      if deadline == nil { waiter = task }
      Devices.lock.releaseRestoringInterrupts(flags)
      IOAPIC.unmask(gsi: window.gsi)
      if let deadline {
        Scheduler.sleep(microseconds: min(10_000, deadline &- Clock.microsecondsSinceBoot()))
      } else {
        // A wake between the release and here is not lost: `block` returns at once.
        Scheduler.block()
      }
      Devices.lock.withLockDisablingInterrupts { if waiter === task { waiter = nil } }
    }
  }
}

/// The virtio-mmio (version 2) register map, and which registers a driver may write.
enum VirtioMMIO {
  static let magic: UInt64 = 0x000, version: UInt64 = 0x004, deviceIdentifier: UInt64 = 0x008
  static let deviceFeatures: UInt64 = 0x010, deviceFeaturesSelect: UInt64 = 0x014
  static let driverFeatures: UInt64 = 0x020, driverFeaturesSelect: UInt64 = 0x024
  static let queueSelect: UInt64 = 0x030, queueSizeMaximum: UInt64 = 0x034, queueSize: UInt64 = 0x038
  static let queueReady: UInt64 = 0x044, queueNotify: UInt64 = 0x050
  static let interruptStatus: UInt64 = 0x060, interruptAcknowledge: UInt64 = 0x064, status: UInt64 = 0x070
  static let queueDescriptorLow: UInt64 = 0x080, queueDriverLow: UInt64 = 0x090, queueDeviceLow: UInt64 = 0x0A0
  static let sharedMemorySelect: UInt64 = 0x0AC, configuration: UInt64 = 0x100
  static let magicValue: UInt32 = 0x7472_6976  // "virt"
  /// Feature bits 32… a driver may not accept: VIRTIO_F_RING_PACKED (34).
  static let refusedFeatureBitsHigh: UInt32 = 1 << 2

  /// Whether a driver may write `width` bytes at `offset`: the feature and queue selectors,
  /// accepted features, notify, interrupt acknowledge, status, shared-memory select and the
  /// device's configuration space. Not the queue size, ready bit or ring addresses (the
  /// kernel's, so no driver can point the device at memory it does not own), nor the legacy
  /// (version 1) registers.
  static func writable(offset: UInt64, width: UInt64) -> Bool {
    if offset >= configuration { return true }
    guard width == 4 else { return false }
    switch offset {
    case deviceFeaturesSelect, driverFeatures, driverFeaturesSelect, queueSelect, queueNotify,
         interruptAcknowledge, status, sharedMemorySelect:
      return true
    default:
      return false
    }
  }

  static func className(deviceID: UInt32) -> String {
    switch deviceID {
    case 1: return "virtio-net"
    case 2: return "virtio-blk"
    case 3: return "virtio-console"
    case 4: return "virtio-rng"
    default: return "virtio-" + String(deviceID)
    }
  }
}

/// The devices the kernel found at boot (`discover`), their interrupt vectors and who has each
/// open. Interrupts of device `i` arrive on vector `firstVector + i` at the boot CPU.
enum Devices {
  nonisolated(unsafe) static var all: [Device] = []
  /// Guards each device's owner and interrupt state (taken in the interrupt handler).
  nonisolated(unsafe) static var lock = Spinlock()
  static let firstVector = 48
  static let capacity = 16
  /// DMA memory one device may have at once (all of its buffers).
  static let dmaLimit: UInt64 = 8 << 20

  /// Finds the virtio-mmio devices (the DSDT's, else the command line's), maps their windows,
  /// keeps each reset and routes its GSI (masked) to its vector.
  static func discover(_ boot: BootInfo, _ acpi: ACPIProcessors?) {
    var ioAPICs = acpi?.ioAPICs ?? InlineArray<4, IOAPICEntry>(repeating: IOAPICEntry(address: 0, firstGSI: 0))
    var ioAPICCount = acpi?.ioAPICCount ?? 0
    if ioAPICCount == 0 {
      ioAPICs[0] = IOAPICEntry(address: 0xFEC0_0000, firstGSI: 0)  // the PC default
      ioAPICCount = 1
    }
    IOAPIC.initialize(ioAPICs, count: ioAPICCount)
    var windows: [VirtioMMIOWindow] = []
    var source: StaticString = "the DSDT"
    if let aml = acpi?.dsdtBody() { windows = VirtioMMIODiscovery.scanDSDT(aml) }
    if windows.isEmpty {
      var line: [UInt8] = []
      for index in 0..<boot.commandLineLength { line.append(boot.commandLine[index]) }
      windows = line.withUnsafeBufferPointer { VirtioMMIODiscovery.parseCommandLine($0) }
      source = "the command line"
    }
    for window in windows where all.count < capacity {
      guard IOAPIC.serves(window.gsi) else {
        Log.warning("devices: virtio-mmio at \(hex: window.base): no IO APIC serves GSI \(window.gsi); skipped")
        continue
      }
      let registers = UInt64(UInt(bitPattern: KernelMemory.mapDevice(window.base, length: window.size)))
      guard mmio_read32(registers + VirtioMMIO.magic) == VirtioMMIO.magicValue else {
        Log.warning("devices: no virtio-mmio device at \(hex: window.base); skipped")
        continue
      }
      let deviceID = mmio_read32(registers + VirtioMMIO.deviceIdentifier)
      guard deviceID != 0 else { continue }  // an empty transport
      let version = mmio_read32(registers + VirtioMMIO.version)
      let vector = UInt8(firstVector + all.count)
      let device = Device(index: all.count, className: VirtioMMIO.className(deviceID: deviceID), window: window,
                          registers: registers, vector: vector, version: version, deviceID: deviceID)
      device.reset()
      _ = IOAPIC.route(gsi: window.gsi, vector: vector, apicID: LocalAPIC.currentID)
      all.append(device)
      Log.info("devices: \(string: device.className) (virtio-mmio v\(version)) at \(hex: window.base), \(window.size) bytes, GSI \(window.gsi) -> vector \(vector), from \(source)")
    }
    if all.isEmpty { Log.info("devices: no virtio-mmio devices (from \(source))") }
  }

  /// Gives the first free device of `className` to `pid`.
  static func open(className: String, by pid: UInt32) -> Result<Device, DeviceError> {
    var found = false
    for device in all where device.className == className {
      found = true
      guard device.version == 2 else { continue }  // legacy transports are not supported
      let taken = lock.withLockDisablingInterrupts { () -> Bool in
        guard device.owner == 0 else { return false }
        device.owner = pid
        device.pendingInterrupts = 0
        return true
      }
      if taken { return .success(device) }
    }
    guard found else { return .failure(.noDevice) }
    return .failure(all.contains { $0.className == className && $0.version == 2 } ? .busy : .unsupported)
  }

  /// The driver let go (its handle closed, or it ended): reset the device — it stops using
  /// every ring and buffer — mask its line, and free it for the next driver.
  static func close(_ device: Device) {
    device.reset()
    IOAPIC.mask(gsi: device.window.gsi)
    device.dmaBytes = 0
    let (owner, interrupts) = lock.withLockDisablingInterrupts { () -> (UInt32, UInt64) in
      let owner = device.owner
      device.owner = 0
      device.pendingInterrupts = 0
      device.waiter = nil
      return (owner, device.interruptCount)
    }
    Log.info("devices: \(string: device.className) reset and released by pid \(owner) (\(interrupts) interrupts since boot)")
  }

  /// The interrupt of device `vector - firstVector`: mask its line (the driver acknowledges
  /// the device itself, in ring 3, later), end the interrupt, and wake the driver if it waits.
  static func handleInterrupt(vector: Int) {
    let index = vector - firstVector
    guard index >= 0, index < all.count else {
      LocalAPIC.endOfInterrupt()
      return
    }
    let device = all[index]
    IOAPIC.mask(gsi: device.window.gsi)
    LocalAPIC.endOfInterrupt()
    let waiter = lock.withLockDisablingInterrupts { () -> Task? in
      device.pendingInterrupts &+= 1
      device.interruptCount &+= 1
      let waiter = device.waiter
      device.waiter = nil
      return waiter
    }
    if let waiter { Scheduler.wake(waiter) }
  }
}

extension Spinlock {
  /// `body` with the lock held and interrupts off.
  mutating func withLockDisablingInterrupts<T>(_ body: () -> T) -> T {
    let flags = acquireDisablingInterrupts()
    let result = body()
    releaseRestoringInterrupts(flags)
    return result
  }
}
