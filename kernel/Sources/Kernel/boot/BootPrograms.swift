/// `run=image` (or `test=image`): start the boot image's programs and wait for them all; with
/// `test=image` the kernel then reports each exit status and fails if none ran or one failed.
enum BootPrograms {
  static func run(_ boot: BootInfo) {
    let testing = boot.hasOption("test=image")
    guard testing || boot.hasOption("run=image") else { return }
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
