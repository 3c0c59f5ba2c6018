/// The boot image's programs. By default the kernel starts the WebAssembly program `init`
/// (which starts the rest with `apus.spawn`) and waits for it to end. `run=image` (or
/// `test=image`) instead starts every flat program of the image and waits for them all; with
/// `test=image` the kernel then reports each exit status and fails if none ran or one failed.
enum BootPrograms {
  static func run(_ boot: BootInfo) {
    #if KERNEL_EMBED_SHARED
    if boot.hasOption("tier=baseline") { KernelWasm.useBaselineTier() }
    if boot.hasOption("tier=optimizing") { KernelWasm.useOptimizingTier() }
    if boot.hasOption("tier=tiered") { KernelWasm.useTieredTier() }
    if boot.hasOption("tierup=0") { KernelWasm.tierUpAtOnce() }
    if boot.hasOption("run=spec") { KernelSpecRunner.run(boot) }  // the spec bundle; never returns
    if boot.hasOption("run=wasi-tests") { KernelWasiTestRunner.run(boot) }  // never returns
    #endif
    let testing = boot.hasOption("test=image")
    guard testing || boot.hasOption("run=image") else {
      if let image = BootImage.load(boot) {
        Log.info("boot image: \(image.entries.count) entries")
        if !WasmPrograms.runInit(image, quiet: boot.hasOption("quiet")) { Log.info("boot image: no WebAssembly program named init") }
      }
      return
    }
    guard let image = BootImage.load(boot) else {
      if testing { panic("image: no boot image (QEMU -initrd)") }
      return
    }
    Log.info("boot image: \(image.entries.count) entries")
    let tasks = image.startPrograms()
    let start = Clock.microsecondsSinceBoot()
    Scheduler.idle { Scheduler.liveTasks == 0 || Clock.microsecondsSinceBoot() - start > 60_000_000 }
    guard testing else { return }
    guard !tasks.isEmpty, Scheduler.liveTasks == 0 else { panic("image: no program ran, or one did not end") }
    for task in tasks where Scheduler.exitStatus(of: task.id) != 0 {
      panic("image: \(task: task) exited with \(Scheduler.exitStatus(of: task.id) ?? -1)")
    }
    Log.info("image: \(tasks.count) programs from the boot image exited with status 0; ok")
  }
}
