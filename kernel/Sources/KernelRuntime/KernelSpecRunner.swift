import WasmCompiler
import WasmFrontEnd
import WasmRuntime
import WasmSpecRunner

/// `run=spec`: runs the spec bundle of the boot image (entry kind 3, written by
/// `apus wast --in-kernel`) with the shared `WasmSpecRunner` — the same steps, front-end checks
/// and `RuntimeSpecExecutor` as the hosted `apus wast` — on the embedded runtime: modules are
/// decoded, validated and compiled in a kernel task, compiled code runs in ring 3.
///
/// Output (serial console, no log prefix, so the host can read it): one line per script and
/// per failed check, exactly as `apus wast` prints them, each prefixed with `spec| `, then
/// `spec| total: N passed, N failed, N skipped`. QEMU then exits with 33 whatever the counts
/// (the host compares them); 35 (panic) if there is no bundle or it is unreadable.
enum KernelSpecRunner {
  static func run(_ boot: BootInfo) -> Never {
    guard let image = BootImage.load(boot), let entry = image.entries.first(where: { $0.kind == .specBundle }) else {
      panic("spec: no spec bundle in the boot image")
    }
    Log.info("spec: bundle of \(bytes: UInt64(entry.data.count))")
    let start = Clock.microsecondsSinceBoot()
    let task = Scheduler.spawnKernelTask("spec", fpu: true) {
      UserAccess.open { runBundle(entry.data) }
    }
    guard task != nil else { panic("spec: cannot start the task") }
    Scheduler.idle { Scheduler.liveTasks == 0 }
    let elapsed = Clock.microsecondsSinceBoot() - start
    var line = TextBuffer()
    line.append("spec| time: ")
    line.appendInterpolation(elapsed / 1000)
    line.append(" ms")
    Console.printLine(LogMessage(line))
    QemuExit.success()
  }

  /// Runs every script of the bundle, one store (and its modules) at a time.
  private static func runBundle(_ bytes: UnsafeRawBufferPointer) {
    guard Scheduler.currentTask.ensureUserStack(size: KernelWasm.userStackSize) else {
      panic("spec: no memory for a user stack")
    }
    checkLiteralRescue()
    // The engine outlives every store (host functions reach it while a store is destroyed).
    var configuration = Engine.Configuration()
    KernelWasm.configure(&configuration)  // kernel command line tier=…, tierup=0
    switch configuration.tier {
    case .baseline: Log.info("spec: baseline tier")
    case .optimizing: Log.info("spec: optimizing tier")
    case .tiered: Log.info("spec: tiered, threshold \(configuration.tierUpThreshold)")
    }
    let engine = Engine(platform: KernelPlatform.shared, configuration: configuration)
    var totals = SpecCounts()
    do throws(SpecBundleError) {
      var reader = try SpecBundleReader(bytes)
      while let script = try reader.nextScript() {
        let counts = runScript(script, engine)
        totals = totals + counts
      }
    } catch {
      var line = TextBuffer()
      line.append("spec| error: unreadable bundle at offset ")
      line.appendInterpolation(error.offset)
      line.append(": ")
      line.append(error.reason)
      Console.printLine(LogMessage(line))
      totals.failed += 1
    }
    withExtendedLifetime(engine) {}
    printLine("total: " + totals.description)
  }

  /// Runs one script with a fresh executor (store, linker, instances: released on return)
  /// and prints its result lines.
  private static func runScript(_ script: SpecScript, _ engine: Engine) -> SpecCounts {
    let executor = RuntimeSpecExecutor(engine: engine, readMessage: readableString)
    let result = script.run(with: executor, readMessage: readableString)
    printLine(displayName(result.path) + ": " + result.counts.description)
    if let error = result.fileError { printLine("  error: " + error) }
    for check in result.checks {
      guard case .failed(let why) = check.outcome else { continue }
      printLine("  line " + String(check.line) + ": " + check.kind + ": " + why)
    }
    return result.counts
  }

  /// The last path component (as `apus wast` prints it).
  private static func displayName(_ path: String) -> String {
    var name: [UInt8] = []
    for byte in path.utf8 {
      if byte == 47 { name.removeAll() } else { name.append(byte) }
    }
    return String(decoding: name, as: UTF8.self)
  }

  /// `spec| ` and a run-time (heap) string, of any length.
  private static func printLine(_ text: String) {
    Console.withLock {
      Console.writeUnlocked("spec| ")
      for byte in text.utf8 { Console.writeByteUnlocked(byte) }
      Console.writeByteUnlocked(10)
    }
  }

  /// A string the kernel can read. A literal longer than 15 bytes made by one of the shared
  /// libraries (a trap or validation message) lives at a negative address, which Embedded
  /// Swift's `String` takes for a foreign string and traps on when read. Its bits still say
  /// where the bytes are: object = (address - 32) with the discriminator in the top nibble,
  /// count in the low 48 bits of the other word. Such a string is copied into a heap string.
  static func readableString(_ string: String) -> String {
    let raw = unsafeBitCast(string, to: (UInt64, UInt64).self)
    let nibble = raw.1 >> 60
    guard nibble == 0xF || nibble == 0x7 else { return string }
    let address = (raw.1 | 0xF000_0000_0000_0000) &+ 32
    let count = Int(raw.0 & 0x0000_FFFF_FFFF_FFFF)
    guard address >= linker_kernel_start(), address < linker_kernel_end(),
          UInt64(count) <= linker_kernel_end() - address,
          let pointer = UnsafePointer<UInt8>(bitPattern: UInt(address))
    else { return "(unreadable)" }
    return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
  }

  /// Says (once) whether `readableString` recovers a long literal of this image.
  private static func checkLiteralRescue() {
    let literal: StaticString = "out of bounds memory access"
    let rescued = readableString(TrapKind.memoryOutOfBounds.message)
    var same = rescued.utf8.count == literal.utf8CodeUnitCount
    if same {
      var index = 0
      for byte in rescued.utf8 {
        if byte != literal.utf8Start[index] { same = false }
        index += 1
      }
    }
    if same {
      Log.info("spec: long literals of the shared libraries are readable")
    } else {
      Log.warning("spec: cannot read the shared libraries' long literals; messages will differ")
    }
  }
}
