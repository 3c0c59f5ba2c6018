import WasmRuntime

/// WasmRuntime's `Platform` in the kernel (compiled only with KERNEL_EMBED_SHARED=1).
///
/// - Memory: reservations in the shared user half (`UserSpace`), committed pages backed lazily
///   with zeroed frames on first touch, so a 4 GiB + guard linear-memory reservation costs
///   only the pages touched; code is committed read-write, filled, then read-execute (never
///   both), and protection changes and decommits shoot down every CPU's TLB.
/// - Trap sites: `registerCode` feeds `CodeRegistry`, which the user-mode fault path consults
///   through the task's `WasmTrapHandler`.
/// - The current activation is per task (tasks migrate between CPUs).
/// - Stacks: compiled code runs on the task's user stack (`Task.userStackTop`).
/// - `cpuid` reports only what the kernel enabled: no AVX when XCR0 lacks it, never AVX-512.
///
/// The runtime touches code and linear memory directly (copying code, data segments, builtins
/// such as memory.fill): the kernel calls into it inside `UserAccess.open`, which lifts SMAP.
final class KernelPlatform: Platform {
  static let shared = KernelPlatform()

  var pageSize: Int { 4096 }

  /// The task that owns what the runtime allocates now: the running task, or the owner it
  /// allocates for (`Task.allocationOwner`, the kernel's services).
  static var owner: Task {
    let task = Scheduler.currentTask
    return task.allocationOwner ?? task
  }

  /// Reservations belong to the running task (or its allocation owner): whatever the runtime
  /// has not released when the task is reaped is released then.
  func reserve(byteCount: Int) -> UnsafeMutableRawPointer? {
    guard byteCount > 0, let base = UserSpace.reserve(byteCount: UInt64(byteCount)) else { return nil }
    let task = Self.owner
    if !task.isIdle { task.reservations.append(base) }
    return UnsafeMutableRawPointer(bitPattern: UInt(base))
  }

  func commit(_ address: UnsafeMutableRawPointer, byteCount: Int, protection: MemoryProtection) -> Bool {
    guard byteCount > 0 else { return true }
    let userProtection: UserProtection?
    switch protection {
    case .none: userProtection = nil
    case .readOnly: userProtection = .readOnly
    case .readWrite: userProtection = .readWrite
    case .readExecute: userProtection = .readExecute
    }
    return UserSpace.commit(UInt64(UInt(bitPattern: address)), byteCount: UInt64(byteCount), protection: userProtection)
  }

  func decommit(_ address: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
    guard byteCount > 0 else { return true }
    return UserSpace.commit(UInt64(UInt(bitPattern: address)), byteCount: UInt64(byteCount), protection: nil)
  }

  func release(_ address: UnsafeMutableRawPointer, byteCount: Int) {
    let base = UInt64(UInt(bitPattern: address))
    UserSpace.release(base)
    let task = Self.owner
    if let index = task.reservations.firstIndex(of: base) { task.reservations.remove(at: index) }
  }

  func registerCode(_ code: CodeRegistration) -> Bool {
    CodeRegistry.register(CodeRegistry.Registration(
      start: UInt64(UInt(bitPattern: code.start)), size: UInt64(code.byteCount),
      trapSiteOffsets: code.trapSiteOffsets, trapSiteKinds: code.trapSiteKinds,
      trapSiteCount: code.trapSiteCount, trapExit: UInt64(UInt(bitPattern: code.trapExit))))
    return true
  }

  func unregisterCode(start: UnsafeRawPointer) {
    CodeRegistry.unregister(start: UInt64(UInt(bitPattern: start)))
  }

  var currentActivation: UnsafeMutableRawPointer? {
    get {
      let task = Scheduler.currentTask
      guard let traps = task.wasmTraps, traps.activation != 0 else { return nil }
      return UnsafeMutableRawPointer(bitPattern: UInt(traps.activation))
    }
    set {
      let traps = Self.traps(of: Scheduler.currentTask)
      traps.activation = newValue.map { UInt64(UInt(bitPattern: $0)) } ?? 0
    }
  }

  /// The task's trap handler, installed on first use.
  static func traps(of task: Task) -> WasmTrapHandler {
    if let traps = task.wasmTraps { return traps }
    let traps = WasmTrapHandler()
    task.wasmTraps = traps
    task.faultHandler = traps
    return traps
  }

  func currentStackBounds() -> (low: UInt, high: UInt) {
    let task = Scheduler.currentTask
    guard task.userStackTop != 0 else { return (0, 0) }
    return (UInt(task.userStackTop - task.userStackSize), UInt(task.userStackTop))
  }

  func currentStackPointer() -> UInt {
    let task = Scheduler.currentTask
    if !task.userCalls.isEmpty, let frame = task.userFrame { return UInt(frame.pointee.rsp) }
    return UInt(task.userStackTop)
  }

  func cpuid(leaf: UInt32, subleaf: UInt32) -> CPUIDResult? {
    var result = CPUIDResult(eax: 0, ebx: 0, ecx: 0, edx: 0)
    let raw = readCPUID(leaf, subleaf)
    result.eax = raw.eax
    result.ebx = raw.ebx
    result.ecx = raw.ecx
    result.edx = raw.edx
    let avxEnabled = UserMode.xsaveMask & 0b100 != 0
    if leaf == 1, !avxEnabled { result.ecx &= ~(UInt32(1) << 28 | 1 << 12 | 1 << 29) }  // AVX, FMA, F16C
    if leaf == 7, subleaf == 0 {
      if !avxEnabled { result.ebx &= ~(UInt32(1) << 5) }  // AVX2
      result.ebx &= ~UInt32(0xDC23_0000)  // AVX-512 (no ZMM state in XCR0)
    }
    return result
  }
}

// MARK: Running compiled code in ring 3 (kernel/README.md, "WebAssembly activations").
extension KernelPlatform {
  /// Runs the entry trampoline in ring 3 on the task's user stack (allocated on first use)
  /// and returns its result (0, or the trap kind).
  func callEntry(
    _ trampoline: UnsafeRawPointer, vmctx: UnsafeMutableRawPointer, code: UnsafeRawPointer,
    values: UnsafeMutableRawPointer, slotCount: UInt64, activation: UnsafeMutableRawPointer
  ) -> UInt32? {
    let task = Scheduler.currentTask
    guard task.ensureUserStack(size: KernelWasm.userStackSize), HostCallGates.initialize() else { return nil }
    _ = Self.traps(of: task)
    func address(_ pointer: UnsafeRawPointer) -> UInt64 { UInt64(UInt(bitPattern: pointer)) }
    let result = UserCall.call(
      entry: address(trampoline),
      arguments: [address(vmctx), address(code), address(values), slotCount, address(activation)],
      returnGate: HostCallGates.returnGate)
    return result.map { UInt32(truncatingIfNeeded: $0) }
  }

  /// Memory for VM data that ring-3 code reads or writes: user read-write blocks from the
  /// running task's arena (released whole when the task is reaped).
  func allocateVMData(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
    VMDataArena.of(Self.owner).allocate(byteCount: byteCount, alignment: alignment)
      .flatMap { UnsafeMutableRawPointer(bitPattern: UInt($0)) }
  }

  func deallocateVMData(_ pointer: UnsafeMutableRawPointer) {
    Self.owner.vmData?.deallocate(UInt64(UInt(bitPattern: pointer)))
  }

  /// The address compiled code calls for a builtin or host dispatcher `function`: a user gate
  /// whose system call runs it. The runtime asks for a handful (one per builtin, one
  /// dispatcher), far below the gate page's capacity, so running out is a kernel bug.
  func hostCallGate(for function: UnsafeRawPointer) -> UnsafeRawPointer {
    guard let gate = HostCallGates.gate(for: UInt64(UInt(bitPattern: function))),
          let address = UnsafeRawPointer(bitPattern: UInt(gate))
    else { panic("no host-call gate left") }
    return address
  }
}

/// A window in which kernel code may touch user memory directly (SMAP lifted with STAC; the
/// page-fault handler backs committed pages lazily inside it). The flag is part of RFLAGS, so
/// it follows the task across context switches and is cleared on every trap entry.
enum UserAccess {
  static func open<T>(_ body: () -> T) -> T {
    let wasOpen = read_rflags() & (1 << 18) != 0
    user_access_begin()
    let result = body()
    if !wasOpen { user_access_end() }
    return result
  }
}
