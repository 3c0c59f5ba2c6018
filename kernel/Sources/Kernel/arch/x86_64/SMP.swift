/// Starting the other processors (APs): INIT-SIPI-SIPI per CPU listed in the ACPI MADT, one
/// at a time, each on its own stack, GDT, TSS and IST stacks, sharing the kernel page tables
/// and IDT. Once online, an AP starts its timer and enters the scheduler's idle loop.
enum SMP {
  static let stackSize = 64 * 1024
  static let istStackSize = 16 * 1024

  /// What an AP needs before it runs (allocated by the boot CPU).
  struct CPUResources {
    var number: UInt32
    var apicID: UInt32
    var perCPU: UnsafeMutableRawPointer
    var gdt: UnsafeMutableRawPointer
    var tss: UnsafeMutableRawPointer
    var istStacks: UnsafeMutableRawPointer
    var stack: UnsafeMutableRawPointer
  }

  nonisolated(unsafe) static var cpus: [CPUResources] = []
  nonisolated(unsafe) static var onlineCount: UInt32 = 1
  /// The boot CPU's features; APs enable the same protections.
  nonisolated(unsafe) static var features = CPUFeatures()

  /// Starts every AP in `processors`; returns how many CPUs are online (boot CPU included).
  static func startApplicationProcessors(_ processors: ACPIProcessors, features: CPUFeatures) -> Int {
    self.features = features
    let bootAPIC = LocalAPIC.currentID
    // The trampoline runs at a fixed low address, identity mapped while APs start.
    let trampoline = KernelMemory.directMap.pointer(to: UInt64(AP_TRAMPOLINE_BASE))
    trampoline.copyMemory(from: UnsafeRawPointer(bitPattern: UInt(ap_trampoline_address()))!,
                          byteCount: Int(ap_trampoline_size()))
    let parameters = trampoline.advanced(by: Int(ap_trampoline_parameters_offset()))
      .assumingMemoryBound(to: ap_parameters.self)
    let kernelRoot = KernelMemory.kernelSpace!.root
    guard kernelRoot < 1 << 32 else { panic("smp: kernel page tables above 4 GiB (CR3 is loaded in 32-bit code)") }
    do throws(PageTableError) {
      try KernelMemory.map(UInt64(AP_TRAMPOLINE_BASE), to: UInt64(AP_TRAMPOLINE_BASE), flags: .kernelCode)
    } catch {
      panic("smp: cannot identity-map the trampoline (\(error.name))")
    }

    for index in 0..<processors.count where processors.apicIDs[index] != bootAPIC {
      let number = UInt32(cpus.count + 1)
      let resources = allocateResources(number: number, apicID: processors.apicIDs[index])
      cpus.append(resources)
      parameters.pointee = ap_parameters(
        cr3: kernelRoot, stack_top: UInt64(UInt(bitPattern: resources.stack)) + UInt64(stackSize),
        entry: kernel_ap_main_address(), cpu_number: UInt64(number))
      let before = atomic_load_u32(&onlineCount)

      LocalAPIC.sendINIT(to: resources.apicID)
      Clock.spin(microseconds: 10_000)
      for _ in 0..<2 where atomic_load_u32(&onlineCount) == before {
        LocalAPIC.sendStartup(to: resources.apicID, vector: UInt8(AP_TRAMPOLINE_BASE >> 12))
        Clock.spin(microseconds: 200)
      }
      // Up to 100 ms for the AP to report in.
      var waited: UInt64 = 0
      while atomic_load_u32(&onlineCount) == before, waited < 100_000 {
        Clock.spin(microseconds: 100)
        waited += 100
      }
      if atomic_load_u32(&onlineCount) == before {
        Log.warning("smp: cpu\(number) (APIC id \(resources.apicID)) did not start")
      }
    }
    do throws(PageTableError) {
      try KernelMemory.unmap(UInt64(AP_TRAMPOLINE_BASE))
    } catch {
      panic("smp: cannot unmap the trampoline (\(error.name))")
    }
    return Int(atomic_load_u32(&onlineCount))
  }

  private static func allocateResources(number: UInt32, apicID: UInt32) -> CPUResources {
    func allocate(_ size: Int, alignment: Int = 4096) -> UnsafeMutableRawPointer {
      let memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: alignment)
      memory.initializeMemory(as: UInt8.self, repeating: 0, count: size)
      return memory
    }
    return CPUResources(
      number: number, apicID: apicID, perCPU: allocate(4096), gdt: allocate(64, alignment: 16),
      tss: allocate(104, alignment: 16), istStacks: allocate(7 * istStackSize),
      stack: allocate(stackSize))
  }
}

/// First Swift code on an AP (from ap_trampoline.S), on its own stack with the kernel's tables.
@_cdecl("kernel_ap_main")
func kernelAPMain(_ number: UInt64) -> Never {
  let resources = SMP.cpus[Int(number) - 1]
  PerCPU.install(at: resources.perCPU, number: resources.number, apicID: resources.apicID)
  Descriptors.installGDT(gdt: resources.gdt, tss: resources.tss) { slot in
    UInt64(UInt(bitPattern: resources.istStacks)) + UInt64(slot) * UInt64(SMP.istStackSize)
  }
  Descriptors.loadIDT(kernel_idt_storage())
  CPU.enableProtections(SMP.features)
  UserMode.enableOnThisCPU(SMP.features)
  LocalAPIC.enableOnThisCPU()
  LocalAPIC.startTimerOnThisCPU(hertz: Scheduler.timerHertz)
  Log.info("smp: cpu\(resources.number) online (APIC id \(LocalAPIC.currentID))")
  _ = atomic_increment_u32(&SMP.onlineCount)
  Scheduler.idleForever()
}
