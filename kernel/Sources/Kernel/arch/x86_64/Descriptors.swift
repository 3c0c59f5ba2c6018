/// GDT, TSS and IDT of one CPU.
///
/// GDT layout (fixed; SYSCALL/SYSRET depend on the user selectors' order):
///   0x00 null, 0x08 kernel code, 0x10 kernel data, 0x18 user data, 0x20 user code,
///   0x28 TSS (two slots).
///
/// Every vector runs on an IST stack, never on the interrupted stack: a kernel stack overflow is
/// reported instead of escalating to a triple fault, and Swift runtime functions that use the
/// red zone (they ignore -mno-red-zone) cannot be corrupted by an interrupt.
enum Descriptors {
  static let kernelCode: UInt16 = 0x08
  static let kernelData: UInt16 = 0x10
  static let userData: UInt16 = 0x18
  static let userCode: UInt16 = 0x20
  static let taskState: UInt16 = 0x28

  /// IST slots (1...7) of the TSS.
  enum Stack: UInt8 {
    case doubleFault = 1, nmi = 2, machineCheck = 3, pageFault = 4, interrupt = 5, exception = 6
  }

  static func istStack(for vector: Int) -> Stack {
    switch vector {
    case 2: return .nmi
    case 8: return .doubleFault
    case 14: return .pageFault
    case 18: return .machineCheck
    case 0..<32: return .exception
    default: return .interrupt
    }
  }

  /// Builds the GDT and TSS at `gdt`/`tss` with IST stacks from `istTop(slot)`, loads them and
  /// reloads the segment registers.
  static func installGDT(
    gdt: UnsafeMutableRawPointer, tss: UnsafeMutableRawPointer,
    istTop: (UInt32) -> UInt64
  ) {
    let entries = gdt.assumingMemoryBound(to: UInt64.self)
    entries[0] = 0
    entries[1] = 0x00AF_9A00_0000_FFFF  // 64-bit code, DPL 0
    entries[2] = 0x00CF_9200_0000_FFFF  // data, DPL 0
    entries[3] = 0x00CF_F200_0000_FFFF  // data, DPL 3
    entries[4] = 0x00AF_FA00_0000_FFFF  // 64-bit code, DPL 3

    for offset in 0..<104 { tss.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self) }
    for slot: UInt32 in 1...7 {
      tss.storeBytes(of: istTop(slot), toByteOffset: 36 + 8 * Int(slot - 1), as: UInt64.self)
    }
    tss.storeBytes(of: 104, toByteOffset: 102, as: UInt16.self)  // no I/O permission bitmap

    let base = UInt64(UInt(bitPattern: tss))
    let limit: UInt64 = 103
    entries[5] = (limit & 0xFFFF) | ((base & 0xFF_FFFF) << 16) | (0x89 << 40)
      | (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56)
    entries[6] = base >> 32

    var pointer = descriptor_table_pointer(limit: 7 * 8 - 1, base: UInt64(UInt(bitPattern: gdt)))
    load_gdt(&pointer)
    reload_segments(kernelCode, kernelData)
    load_task_register(taskState)
    PerCPU.current.pointee.tss = base
  }

  /// Fills the IDT with the 256 stubs of traps.S (interrupt gates, DPL 0; #BP DPL 3).
  static func buildIDT(_ idt: UnsafeMutableRawPointer) {
    for vector in 0..<256 {
      let handler = trap_stub_address(UInt32(vector))
      let dpl: UInt64 = vector == 3 ? 3 : 0
      let attributes: UInt64 = 0x8E | (dpl << 5)  // present, interrupt gate
      let ist = UInt64(istStack(for: vector).rawValue)
      let low = (handler & 0xFFFF) | (UInt64(kernelCode) << 16) | (ist << 32)
        | (attributes << 40) | (((handler >> 16) & 0xFFFF) << 48)
      idt.storeBytes(of: low, toByteOffset: vector * 16, as: UInt64.self)
      idt.storeBytes(of: handler >> 32, toByteOffset: vector * 16 + 8, as: UInt64.self)
    }
  }

  static func loadIDT(_ idt: UnsafeMutableRawPointer) {
    var pointer = descriptor_table_pointer(limit: 256 * 16 - 1, base: UInt64(UInt(bitPattern: idt)))
    load_idt(&pointer)
  }

  /// The boot CPU's tables, in static storage (usable before the heap exists).
  static func installBootCPU() {
    installGDT(gdt: kernel_gdt_storage(), tss: kernel_tss_storage()) { slot in
      UInt64(UInt(bitPattern: kernel_ist_stack_top(slot)))
    }
    buildIDT(kernel_idt_storage())
    loadIDT(kernel_idt_storage())
  }
}
