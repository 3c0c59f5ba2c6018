// Host tests of the kernel's device discovery parsers (devices/VirtioMMIODiscovery.swift): the
// virtio_mmio.device= words of a command line and the virtio-mmio devices of a DSDT. Built and
// run by kernel/tests/host/run.
import Glibc

var failures = 0
var checks = 0

func expect(_ condition: Bool, _ message: String, line: Int = #line) {
  checks += 1
  if !condition {
    failures += 1
    print("FAIL line \(line): \(message)")
  }
}

func commandLine(_ text: String) -> [VirtioMMIOWindow] {
  Array(text.utf8).withUnsafeBufferPointer { VirtioMMIODiscovery.parseCommandLine($0) }
}

func testCommandLine() {
  // What QEMU's microvm appends without ACPI.
  expect(commandLine("quiet virtio_mmio.device=512@0xfeb00e00:12") == [VirtioMMIOWindow(base: 0xFEB0_0E00, size: 512, gsi: 12)],
         "QEMU's form")
  let two = commandLine("virtio_mmio.device=4K@0x10001000:5:3 x=1 virtio_mmio.device=0x200@4276092416:40")
  expect(two == [VirtioMMIOWindow(base: 0x1000_1000, size: 4096, gsi: 5), VirtioMMIOWindow(base: 4_276_092_416, size: 512, gsi: 40)],
         "suffix, an id, decimal base (got \(two))")
  for bad in ["virtio_mmio.device=", "virtio_mmio.device=512", "virtio_mmio.device=512@0xfeb00e00",
              "virtio_mmio.device=512@0xfeb00e00:", "virtio_mmio.device=512@0xfeb00e00:300",
              "virtio_mmio.device=0@0x1000:5", "virtio_mmio.device=2G@0x1000:5", "virtio_mmio.device=512@0x1002:5",
              "virtio_mmio.device=512@0xfffffffffffffe00:5", "virtio_mmio.device=512@0x1000:5:x",
              "virtio_mmio.device=512@0x1000:5junk", "virtio_mmio.device=512@0x11112222333344445:5",
              "xvirtio_mmio.device=512@0x1000:5", "virtio_mmio.devices=512@0x1000:5"] {
    expect(commandLine(bad).isEmpty, "refused: \(bad)")
  }
  expect(commandLine("").isEmpty && commandLine("   ").isEmpty, "empty lines")
  let many = Array(repeating: "virtio_mmio.device=512@0x1000:5", count: 40).joined(separator: " ")
  expect(commandLine(many).count == VirtioMMIODiscovery.capacity, "at most \(VirtioMMIODiscovery.capacity)")
}

/// The AML QEMU's microvm writes for one virtio-mmio device (hw/i386/acpi-microvm.c):
/// Device (VRnn) { Name (_HID, "LNRO0005"), Name (_UID, n), Name (_CCA, 1),
/// Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, base, 512), Interrupt (…) { gsi } }) }
func microvmDevice(index: UInt8, base: UInt32, gsi: UInt32) -> [UInt8] {
  func le(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
  let resources: [UInt8] = [0x86, 0x09, 0x00, 0x01] + le(base) + le(512)
    + [0x89, 0x06, 0x00, 0x0B, 0x01] + le(gsi) + [0x79, 0x00]
  let crs: [UInt8] = [0x08] + Array("_CRS".utf8) + [0x11, UInt8(resources.count + 3), 0x0A, UInt8(resources.count)] + resources
  let body: [UInt8] = [0x08] + Array("_HID".utf8) + [0x0D] + Array("LNRO0005".utf8) + [0x00]
    + [0x08] + Array("_UID".utf8) + [0x0A, index] + [0x08] + Array("_CCA".utf8) + [0x01] + crs
  return [0x5B, 0x82, UInt8(body.count + 5)] + Array("VR0".utf8) + [0x30 + index] + body
}

func scan(_ bytes: [UInt8]) -> [VirtioMMIOWindow] {
  bytes.withUnsafeBytes { VirtioMMIODiscovery.scanDSDT($0) }
}

func testDSDT() {
  // Other devices around (a _HID of another kind, a Memory32Fixed not after LNRO0005).
  let other: [UInt8] = [0x08] + Array("_HID".utf8) + [0x0D] + Array("ACPI0013".utf8) + [0x00, 0x86, 0x09, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]
  let aml = other + microvmDevice(index: 7, base: 0xFEB0_0E00, gsi: 12) + microvmDevice(index: 23, base: 0xFEB0_2E00, gsi: 47)
  let found = scan(aml)
  expect(found == [VirtioMMIOWindow(base: 0xFEB0_0E00, size: 512, gsi: 12), VirtioMMIOWindow(base: 0xFEB0_2E00, size: 512, gsi: 47)],
         "two microvm devices (got \(found))")
  // A device whose resources are missing or cut off is skipped, the next one still found.
  var broken = microvmDevice(index: 1, base: 0xFEB0_0200, gsi: 6)
  broken.removeLast(12)
  expect(scan(broken + microvmDevice(index: 2, base: 0xFEB0_0400, gsi: 7)) == [VirtioMMIOWindow(base: 0xFEB0_0400, size: 512, gsi: 7)],
         "a truncated device is skipped")
  expect(scan(Array(microvmDevice(index: 3, base: 0x1000, gsi: 9).prefix(30))).isEmpty, "cut inside the _CRS")
  expect(scan([]).isEmpty && scan([0x0D]).isEmpty, "tiny inputs")
  // Random bytes never crash the scanner.
  var seed: UInt64 = 0x1234_5678
  for _ in 0..<200 {
    var bytes: [UInt8] = []
    for _ in 0..<512 {
      seed = seed &* 6364136223846793005 &+ 1442695040888963407
      bytes.append(UInt8(truncatingIfNeeded: seed >> 56))
    }
    _ = scan(bytes + microvmDevice(index: 0, base: 0x2000, gsi: 5).prefix(Int(seed % 60)))
  }
  expect(true, "random input survived")
}

@main
struct DeviceDiscoveryTests {
  static func main() {
    testCommandLine()
    testDSDT()
    print("kernel device discovery host tests: \(checks - failures)/\(checks) checks passed")
    exit(failures == 0 ? 0 : 1)
  }
}
