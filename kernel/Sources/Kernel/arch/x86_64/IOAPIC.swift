/// The IO APICs (from the ACPI MADT): they route a device's interrupt line (a GSI) to a vector
/// on a CPU. Devices (devices/) use level-triggered, active-high entries, masked while the
/// line's driver has not yet been told (see `Devices.handleInterrupt`).
enum IOAPIC {
  struct Controller {
    /// Virtual address of the registers (uncached).
    var registers: UInt64
    var firstGSI: UInt32
    var entryCount: UInt32
  }

  nonisolated(unsafe) static var controllers = InlineArray<4, Controller>(
    repeating: Controller(registers: 0, firstGSI: 0, entryCount: 0))
  nonisolated(unsafe) static var count = 0
  /// Guards the select/window register pairs (the interrupt path and waits on other CPUs).
  nonisolated(unsafe) static var lock = Spinlock()

  static let selectRegister: UInt64 = 0x00, windowRegister: UInt64 = 0x10
  static let versionIndex: UInt32 = 0x01
  static let masked: UInt32 = 1 << 16, levelTriggered: UInt32 = 1 << 15

  /// Maps every IO APIC of the MADT (or the PC default at 0xFEC00000 without one) and masks
  /// all of their entries.
  static func initialize(_ entries: InlineArray<4, IOAPICEntry>, count entryCount: Int) {
    for index in 0..<entryCount where count < 4 {
      let registers = UInt64(UInt(bitPattern: KernelMemory.mapDevice(entries[index].address, length: 4096)))
      var controller = Controller(registers: registers, firstGSI: entries[index].firstGSI, entryCount: 0)
      controller.entryCount = ((read(controller, versionIndex) >> 16) & 0xFF) + 1
      controllers[count] = controller
      count += 1
      for entry in 0..<controller.entryCount { write(controller, 0x10 + 2 * entry, masked) }
      Log.info("ioapic: \(hex: entries[index].address), GSIs \(controller.firstGSI)-\(controller.firstGSI + controller.entryCount - 1)")
    }
  }

  /// Whether some IO APIC serves `gsi`.
  static func serves(_ gsi: UInt32) -> Bool { locate(gsi) != nil }

  /// Routes `gsi` to `vector` on the CPU with local APIC `apicID`, level-triggered,
  /// active high, masked (`unmask` enables it).
  static func route(gsi: UInt32, vector: UInt8, apicID: UInt32) -> Bool {
    guard let (controller, pin) = locate(gsi) else { return false }
    let flags = lock.acquireDisablingInterrupts()
    write(controller, 0x11 + 2 * pin, apicID << 24)
    write(controller, 0x10 + 2 * pin, masked | levelTriggered | UInt32(vector))
    lock.releaseRestoringInterrupts(flags)
    return true
  }

  static func mask(gsi: UInt32) { setMask(gsi: gsi, true) }
  static func unmask(gsi: UInt32) { setMask(gsi: gsi, false) }

  private static func setMask(gsi: UInt32, _ on: Bool) {
    guard let (controller, pin) = locate(gsi) else { return }
    let flags = lock.acquireDisablingInterrupts()
    let low = read(controller, 0x10 + 2 * pin)
    write(controller, 0x10 + 2 * pin, on ? low | masked : low & ~masked)
    lock.releaseRestoringInterrupts(flags)
  }

  private static func locate(_ gsi: UInt32) -> (Controller, UInt32)? {
    for index in 0..<count {
      let controller = controllers[index]
      if gsi >= controller.firstGSI, gsi - controller.firstGSI < controller.entryCount {
        return (controller, gsi - controller.firstGSI)
      }
    }
    return nil
  }

  // Register access: write the index to IOREGSEL, then read or write IOWIN (mapped uncached
  // by `KernelMemory.mapDevice`; callers serialise the pair with `lock`).
  private static func read(_ controller: Controller, _ index: UInt32) -> UInt32 {
    mmio_write32(controller.registers + selectRegister, index)
    return mmio_read32(controller.registers + windowRegister)
  }

  private static func write(_ controller: Controller, _ index: UInt32, _ value: UInt32) {
    mmio_write32(controller.registers + selectRegister, index)
    mmio_write32(controller.registers + windowRegister, value)
  }
}
