// Pure memory-management code (this directory except KernelMemory.swift): no hardware access,
// so kernel/tests/host compiles it for Linux and tests it against a malloc'd "physical memory".

typealias PhysicalAddress = UInt64
typealias VirtualAddress = UInt64

let pageSize: UInt64 = 4096
let pageShift: UInt64 = 12

/// How the kernel reaches physical memory: every physical address `p` is readable and
/// writable at virtual `p + offset` (the kernel's direct map; a test buffer on the host).
struct PhysicalMemoryWindow {
  var offset: UInt64

  func pointer(to physical: PhysicalAddress) -> UnsafeMutableRawPointer {
    UnsafeMutableRawPointer(bitPattern: UInt(physical &+ offset))!
  }

  func physicalAddress(of pointer: UnsafeRawPointer) -> PhysicalAddress {
    UInt64(UInt(bitPattern: pointer)) &- offset
  }

  func zeroPage(_ physical: PhysicalAddress) {
    pointer(to: physical).initializeMemory(as: UInt64.self, repeating: 0, count: Int(pageSize / 8))
  }
}

/// A source of zeroed 4 KiB frames for page tables.
protocol FrameSource {
  mutating func allocateFrame() -> PhysicalAddress?
  mutating func freeFrame(_ frame: PhysicalAddress)
}

extension UInt64 {
  func roundedUp(to alignment: UInt64) -> UInt64 { (self &+ alignment &- 1) & ~(alignment &- 1) }
  func roundedDown(to alignment: UInt64) -> UInt64 { self & ~(alignment &- 1) }
}
