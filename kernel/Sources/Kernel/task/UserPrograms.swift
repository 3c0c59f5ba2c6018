/// Flat user programs: position-independent machine code copied into a read-execute user
/// reservation, started at its first byte with a 64 KiB stack (lazily backed) whose lowest
/// page is a never-committed guard page.
enum UserPrograms {
  static let stackSize: UInt64 = 64 << 10

  /// Loads `code` and creates a ready-to-spawn task named `name`; nil if memory runs out.
  static func load(name: UnsafePointer<CChar>, code: UnsafeRawBufferPointer) -> Task? {
    guard let baseAddress = code.baseAddress, code.count > 0 else { return nil }
    let size = UInt64(code.count).roundedUp(to: pageSize)
    guard let codeBase = UserSpace.reserve(byteCount: size) else { return nil }
    // Never writable and executable at once: fill read-write, then switch to read-execute.
    guard UserSpace.commit(codeBase, byteCount: size, protection: .readWrite),
          UserMemory.copyOut(to: codeBase, from: baseAddress, count: code.count),
          UserSpace.commit(codeBase, byteCount: size, protection: .readExecute),
          let stackBase = UserSpace.reserve(byteCount: stackSize + pageSize),
          UserSpace.commit(stackBase + pageSize, byteCount: stackSize, protection: .readWrite),
          let stack = KernelStack.allocate()
    else {
      UserSpace.release(codeBase)
      return nil
    }
    var frame = trap_frame()
    frame.rip = codeBase
    frame.cs = UInt64(USER_CODE_SELECTOR)
    frame.rflags = 0x202
    frame.rsp = stackBase + pageSize + stackSize
    frame.ss = UInt64(USER_DATA_SELECTOR)
    let task = Task(id: Scheduler.allocateTaskID(), name: "", stack: stack, user: frame, fpu: true)
    task.name.append(cString: name)
    task.reservations = [codeBase, stackBase]
    return task
  }

  /// A program assembled into the kernel (arch/x86_64/user_programs.S), by name.
  static func builtIn(_ wanted: StaticString) -> Task? {
    let table = user_program_table()!
    for index in 0..<Int(user_program_count) {
      let program = table[index]
      if matches(program.name, wanted) {
        return load(name: program.name, code: UnsafeRawBufferPointer(start: program.start, count: Int(program.size)))
      }
    }
    return nil
  }

  private static func matches(_ name: UnsafePointer<CChar>, _ wanted: StaticString) -> Bool {
    wanted.withUTF8Buffer { buffer in
      for index in 0..<buffer.count where UInt8(bitPattern: name[index]) != buffer[index] { return false }
      return name[buffer.count] == 0
    }
  }
}

extension TaskName {
  mutating func append(cString: UnsafePointer<CChar>) {
    var index = 0
    while index < 24, cString[index] != 0 {
      append(byte: UInt8(bitPattern: cString[index]))
      index += 1
    }
  }
}
