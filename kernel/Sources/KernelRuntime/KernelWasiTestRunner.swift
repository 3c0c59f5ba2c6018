import WASIPreview1
import WasmRuntime

/// `run=wasi-tests`: runs the WASI test programs of the boot image one after the other, as
/// `apus wasi-test --in-kernel` lists them in the file `wasi.list` of the kernel's file system
/// (lines of a key and values separated by tabs, each value in hexadecimal (UTF-8 bytes, so
/// arguments may hold any character); one block per test, ended by `run`):
///
///     test  INDEX
///     module  ENTRY            the boot image's WebAssembly entry
///     arg  VALUE               argv, from argv[0]
///     env  KEY=VALUE
///     dir  GUEST  SOURCE       preopen GUEST = a fresh copy of the directory SOURCE
///     run
///
/// Each test gets fresh copies of its directories (tests create and remove files; no "/"), an empty
/// stdin, and stdout/stderr buffers that are printed when it has ended, on the serial console
/// without the log prefix so the host can read them:
///
///     wasi| out INDEX HEX      stdout, 48 bytes a line (err: stderr)
///     wasi| trap INDEX NAME    it ended with a trap
///     wasi| exit INDEX STATUS
///     wasi| done COUNT MILLISECONDS
///
/// QEMU then exits with 33 whatever the results (the host compares them).
enum KernelWasiTestRunner {
  struct TestCase {
    var index = ""
    var module = ""
    var arguments: [String] = []
    var environment: [String] = []
    var directories: [(guest: String, source: String)] = []
  }

  static func run(_ boot: BootInfo) -> Never {
    guard let image = BootImage.load(boot) else { panic("wasi: no boot image") }
    Programs.image = image
    KernelFiles.seed(from: image)
    guard let list = KernelFiles.node(at: "wasi.list", in: KernelFiles.system), list.kind == .regularFile else {
      panic("wasi: no file wasi.list in the boot image")
    }
    let start = Clock.microsecondsSinceBoot()
    var count = 0
    var test = TestCase()
    for line in list.data.split(separator: 10) {
      var fields: [String] = []
      for (index, field) in line.split(separator: 9, omittingEmptySubsequences: false).enumerated() {
        fields.append(index == 0 ? String(decoding: field, as: UTF8.self) : decodeHex(field))
      }
      guard let key = fields.first else { continue }
      let value = fields.count > 1 ? fields[1] : ""
      switch key {
      case "test": test.index = value
      case "module": test.module = value
      case "arg": test.arguments.append(value)
      case "env": test.environment.append(value)
      case "dir": if fields.count > 2 { test.directories.append((value, fields[2])) }
      case "run":
        runTest(test)
        count += 1
        test = TestCase()
      default: break
      }
    }
    printLine("done " + String(count) + " " + String((Clock.microsecondsSinceBoot() - start) / 1000))
    QemuExit.success()
  }

  private static func runTest(_ test: TestCase) {
    let setup = ProgramSetup(arguments: test.arguments)
    setup.environment = test.environment
    setup.preopensRoot = false  // only the test's directories, as in the hosted run
    let stdout = WASIBufferStream()
    let stderr = WASIBufferStream()
    setup.stdin = WASIBufferStream()
    setup.stdout = stdout
    setup.stderr = stderr
    for directory in test.directories {
      guard let source = KernelFiles.node(at: directory.source, in: KernelFiles.system),
            source.kind == .directory
      else {
        printLine("error " + test.index + " no directory " + directory.source)
        continue
      }
      setup.preopens.append((KernelFiles.copy(of: source).rootDirectory(), directory.guest))
    }
    var name = TaskName()
    for byte in test.module.utf8 { name.append(byte: byte) }
    guard case .success(let program) = Programs.spawn(named: name, parent: 0, setup: setup) else {
      printLine("error " + test.index + " cannot start " + test.module)
      printLine("exit " + test.index + " -1")
      return
    }
    Scheduler.idle { program.status != nil }
    dump("out " + test.index + " ", stdout.output)
    dump("err " + test.index + " ", stderr.output)
    if let kind = program.trapKind {
      let text = trapKindName(kind)
      let bytes = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
      printLine("trap " + test.index + " " + String(decoding: bytes, as: UTF8.self))
    }
    printLine("exit " + test.index + " " + String(program.status ?? -1))
  }

  /// The text whose UTF-8 bytes `hex` spells (lowercase digits; anything else is skipped).
  static func decodeHex(_ hex: ArraySlice<UInt8>) -> String {
    var bytes: [UInt8] = []
    var high: UInt8?
    for character in hex {
      let digit: UInt8
      switch character {
      case 48...57: digit = character - 48
      case 97...102: digit = character - 87
      default: continue
      }
      if let first = high {
        bytes.append(first << 4 | digit)
        high = nil
      } else {
        high = digit
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `bytes` in hexadecimal lines of 48 bytes after `prefix`.
  private static func dump(_ prefix: String, _ bytes: [UInt8]) {
    let digits: StaticString = "0123456789abcdef"
    var offset = 0
    while offset < bytes.count {
      let end = min(offset + 48, bytes.count)
      Console.withLock {
        Console.writeUnlocked("wasi| ")
        for byte in prefix.utf8 { Console.writeByteUnlocked(byte) }
        for index in offset..<end {
          Console.writeByteUnlocked(digits.utf8Start[Int(bytes[index] >> 4)])
          Console.writeByteUnlocked(digits.utf8Start[Int(bytes[index] & 15)])
        }
        Console.writeByteUnlocked(10)
      }
      offset = end
    }
  }

  /// `wasi| ` and a run-time string.
  private static func printLine(_ text: String) {
    Console.withLock {
      Console.writeUnlocked("wasi| ")
      for byte in text.utf8 { Console.writeByteUnlocked(byte) }
      Console.writeByteUnlocked(10)
    }
  }
}
