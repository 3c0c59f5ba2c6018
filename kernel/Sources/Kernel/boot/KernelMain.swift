/// The kernel's entry point, called by boot.S on the boot stack in long mode with the
/// physical address of the PVH start info.
@_cdecl("kernel_main")
func kernelMain(_ startInfoPhysical: UInt64) -> Never {
  let bootTSC = rdtsc()
  // GS first: every log line reads the CPU number through it.
  PerCPU.install(at: kernel_percpu_storage(), number: 0, apicID: cpuid(1, 0).ebx >> 24)
  Console.initialize()
  Descriptors.installBootCPU()
  let calibrated = Clock.calibrate(bootTSC: bootTSC)

  Log.info("Apus kernel (x86_64), \(bytes: linker_kernel_end() - linker_kernel_start()) image at \(hex: linker_kernel_start())")
  if calibrated {
    Log.info("clock: TSC \(Clock.ticksPerMicrosecond) MHz (calibrated against the PIT)")
  } else {
    Log.warning("clock: the PIT does not count; assuming a 1 GHz TSC")
  }

  let boot = BootInfo.read(startInfoPhysical: startInfoPhysical)
  boot.logCommandLine()
  boot.logMemoryMap()
  KernelMemory.initialize(boot)

  let features = CPUFeatures.detect()
  features.log()
  CPU.enableProtections(features)
  UserMode.enableOnThisCPU(features)

  // The trap path must return cleanly: a breakpoint is reported and execution continues.
  breakpoint()
  guard InterruptStatistics.breakpoints == 1 else { panic("breakpoint trap did not return") }

  let acpi = startInterruptsAndProcessors(boot, features)
  Devices.discover(boot, acpi)
  SelfTests.run(boot)
  UserTests.run(boot)
  BootPrograms.run(boot)

  Log.info("kernel ready (\(Clock.microsecondsSinceBoot()) us since boot)")
  QemuExit.success()
}

/// Local APIC timer (100 Hz) on the boot CPU, then the other CPUs from the ACPI MADT (returned,
/// with the IO APICs and the DSDT, for device discovery; nil without ACPI).
private func startInterruptsAndProcessors(_ boot: BootInfo, _ features: CPUFeatures) -> ACPIProcessors? {
  LocalAPIC.initialize()
  LocalAPIC.startTimer(hertz: 100)
  let start = Clock.microsecondsSinceBoot()
  interrupts_enable()
  while LocalAPIC.ticks < 3, Clock.microsecondsSinceBoot() - start < 1_000_000 {
    interrupts_enable_and_halt()
  }
  let elapsed = Clock.microsecondsSinceBoot() - start
  guard LocalAPIC.ticks >= 3 else { panic("apic timer: no tick within 1 s") }
  Log.info("apic timer: 100 Hz (\(LocalAPIC.timerCountsPerMillisecond) counts/ms), 3 ticks in \(elapsed / 1000) ms")

  guard let processors = ACPIProcessors.discover(rsdpHint: boot.rsdpPhysical) else {
    Log.warning("acpi: no MADT found; using the boot CPU only")
    Scheduler.initialize(cpuCount: 1)
    return nil
  }
  Scheduler.initialize(cpuCount: processors.count)
  Log.info("acpi: MADT lists \(processors.count) CPUs, local APIC \(hex: processors.localAPICAddress), IO APIC \(hex: processors.ioAPICAddress)")
  if processors.count > 1 {
    let online = SMP.startApplicationProcessors(processors, features: features)
    Log.info("smp: \(online) of \(processors.count) CPUs online")
  }
  return processors
}
