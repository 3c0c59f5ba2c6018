import WasmCompiler
import WasmFrontEnd
import WasmRuntime

/// The device calls of the `apus` module (docs/DEVICES.md): a driver program opens a device the
/// manifest grants it, reads and writes its registers by offset (checked), allocates DMA
/// buffers, sets up and feeds virtqueues through the kernel, and waits for the interrupt.
///
///     device_open(name, name_len) -> handle or -errno
///     device_read(device, offset, width) -> i64 value or -errno
///     device_write(device, offset, width, value) -> errno
///     device_wait(device, timeout_ms) -> errno            (timeout -1: no limit)
///     queue_setup(device, queue, size) -> size or -errno
///     queue_submit(device, queue, segments, count) -> request id or -errno
///     queue_reap(device, queue, result) -> errno          (result: id u32, length u32)
///     dma_alloc(device, size) -> handle or -errno
///     dma_write(dma, offset, source, length) -> errno
///     dma_read(dma, offset, destination, length) -> errno
///
/// Devices and buffers are handles in the program's table (closed with `handle_close`, or
/// when it ends: the device is reset, so it stops using every buffer, before anything is
/// freed). Neither may be passed to another program.
enum DeviceHostFunctions {
  static func define(in linker: Linker, store: Store, program: Program,
                     function: (StaticString, [ValueType], [ValueType], @escaping HostFunctionBody) -> Void) {
    let i32 = ValueType.i32
    func negative(_ errno: UInt16) -> [Value] { [.i32(UInt32(bitPattern: -Int32(errno)))] }
    func status(_ error: DeviceError?) -> [Value] { [.i32(UInt32(error?.errno ?? 0))] }
    func words(_ arguments: [Value], _ count: Int, _ name: StaticString) throws(Trap) -> [UInt32] {
      var values: [UInt32] = []
      for index in 0..<count {
        guard index < arguments.count, case .i32(let value) = arguments[index] else { throw Trap(message: "apus.device call") }
        values.append(value)
      }
      return values
    }
    /// The open device `raw` names in the caller's table.
    func device(_ raw: UInt32) -> DeviceObject? {
      guard let object = try? program.handles.get(Handle(rawValue: raw)), let resource = object.resource,
            let device = resource as? DeviceObject, device.isOpen else { return nil }
      return device
    }
    func buffer(_ raw: UInt32) -> DMAObject? {
      guard let object = try? program.handles.get(Handle(rawValue: raw)), let resource = object.resource,
            let buffer = resource as? DMAObject, buffer.buffer != nil else { return nil }
      return buffer
    }

    function("device_open", [i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      guard let name = program.bytes(arguments, 0, 1) else { return negative(ApusHostModule.fault) }
      guard name.count <= 32, let className = String(validating: name, as: UTF8.self) else { return negative(DeviceError.noDevice.errno) }
      // Only a program of the boot image receives what the manifest grants its name.
      guard program.fromBootImage, KernelServices.manifest?.permitsDevice(program.name.string, device: className) == true else {
        return negative(DeviceError.notGranted.errno)
      }
      switch Devices.open(className: className, by: program.pid) {
      case .failure(let error): return negative(error.errno)
      case .success(let device):
        let object = DeviceObject(device)
        do throws(IPCError) {
          return [.i32(try program.handles.insert(.resource(object)).rawValue)]
        } catch {
          object.close()
          return negative(UInt16(error.errno))
        }
      }
    }

    function("device_read", [i32, i32, i32], [.i64]) { _, arguments throws(Trap) -> [Value] in
      let values = try words(arguments, 3, "device_read")
      guard let device = device(values[0]) else { return [.i64(UInt64(bitPattern: -8))] }
      switch device.device.read(offset: UInt64(values[1]), width: UInt64(values[2])) {
      case .success(let value): return [.i64(UInt64(value))]
      case .failure(let error): return [.i64(UInt64(bitPattern: -Int64(error.errno)))]
      }
    }

    function("device_write", [i32, i32, i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      let values = try words(arguments, 4, "device_write")
      guard let device = device(values[0]) else { return [.i32(8)] }
      return status(device.device.write(offset: UInt64(values[1]), width: UInt64(values[2]), value: values[3]))
    }

    function("device_wait", [i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      let values = try words(arguments, 2, "device_wait")
      guard let device = device(values[0]) else { return [.i32(8)] }
      let timeout: UInt32? = Int32(bitPattern: values[1]) < 0 ? nil : values[1]
      let error = device.device.waitForInterrupt(timeoutMilliseconds: timeout)
      if case .interrupted? = error { throw Trap(kind: .interrupted) }
      return status(error)
    }

    function("queue_setup", [i32, i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      let values = try words(arguments, 3, "queue_setup")
      guard let device = device(values[0]) else { return negative(8) }
      switch device.device.setUpQueue(values[1], requested: values[2]) {
      case .success(let size): return [.i32(UInt32(size))]
      case .failure(let error): return negative(error.errno)
      }
    }

    // Segments: 16 bytes each — DMA handle, offset, length, flags (bit 0: the device writes).
    function("queue_submit", [i32, i32, i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      let values = try words(arguments, 4, "queue_submit")
      guard let device = device(values[0]) else { return negative(8) }
      guard values[3] >= 1, values[3] <= UInt32(VirtQueue.maximumChain) else { return negative(DeviceError.invalid.errno) }
      guard let list = program.bytes([.i32(values[2]), .i32(values[3] * 16)], 0, 1) else { return negative(ApusHostModule.fault) }
      var segments: [VirtQueue.Segment] = []
      for index in 0..<Int(values[3]) {
        func field(_ number: Int) -> UInt32 {
          var value: UInt32 = 0
          for byte in 0..<4 { value |= UInt32(list[index * 16 + number * 4 + byte]) << UInt32(byte * 8) }
          return value
        }
        // A handle that is not one of the caller's DMA buffers: EBADF.
        guard let dma = buffer(field(0)), let memory = dma.buffer else { return negative(8) }
        guard field(3) & ~1 == 0 else { return negative(DeviceError.invalid.errno) }
        segments.append(VirtQueue.Segment(buffer: memory, offset: UInt64(field(1)), length: field(2),
                                          deviceWrites: field(3) & 1 != 0))
      }
      switch device.device.submit(queue: values[1], segments) {
      case .success(let id): return [.i32(UInt32(id))]
      case .failure(let error): return negative(error.errno)
      }
    }

    function("queue_reap", [i32, i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      let values = try words(arguments, 3, "queue_reap")
      guard let device = device(values[0]) else { return [.i32(8)] }
      guard let target = program.range([.i32(values[2]), .i32(8)], 0, 1) else { return [.i32(UInt32(ApusHostModule.fault))] }
      switch device.device.reap(queue: values[1]) {
      case .failure(let error): return status(error)
      case .success(nil): return status(.tryAgain)
      case .success(let completion?):
        let id = UInt32(completion.id)
        for byte in 0..<4 {
          target[byte] = UInt8(truncatingIfNeeded: id >> UInt32(byte * 8))
          target[4 + byte] = UInt8(truncatingIfNeeded: completion.length >> UInt32(byte * 8))
        }
        return [.i32(0)]
      }
    }

    function("dma_alloc", [i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      let values = try words(arguments, 2, "dma_alloc")
      guard let device = device(values[0]) else { return negative(8) }
      let size = UInt64(values[1])
      guard size > 0, size <= pageSize << UInt64(DMABuffer.maximumOrder) else { return negative(DeviceError.invalid.errno) }
      guard device.device.dmaBytes + size <= Devices.dmaLimit,
            let memory = DMABuffer.allocate(bytes: size, deviceIndex: device.device.index),
            device.device.dmaBytes + memory.size <= Devices.dmaLimit
      else { return negative(DeviceError.noMemory.errno) }
      let object = DMAObject(memory, device: device.device)
      do throws(IPCError) {
        let handle = try program.handles.insert(.resource(object))
        device.device.dmaBytes += memory.size
        return [.i32(handle.rawValue)]
      } catch {
        return negative(UInt16(error.errno))
      }
    }

    func copy(_ arguments: [Value], toDevice: Bool) throws(Trap) -> [Value] {
      let values = try words(arguments, 4, "dma copy")
      guard let dma = buffer(values[0]), let memory = dma.buffer else { return [.i32(8)] }
      guard let guest = program.range([.i32(values[2]), .i32(values[3])], 0, 1) else { return [.i32(UInt32(ApusHostModule.fault))] }
      guard memory.contains(offset: UInt64(values[1]), length: UInt64(values[3])) else { return [.i32(UInt32(DeviceError.outOfRange.errno))] }
      guard values[3] > 0 else { return [.i32(0)] }
      // Safe: both ranges were checked (the guest's in its memory, the other in the buffer).
      let kernelSide = memory.pointer(at: UInt64(values[1]))
      if toDevice {
        kernelSide.copyMemory(from: guest.baseAddress!, byteCount: guest.count)
      } else {
        guest.baseAddress!.copyMemory(from: kernelSide, byteCount: guest.count)
      }
      return [.i32(0)]
    }

    function("dma_write", [i32, i32, i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      try copy(arguments, toDevice: true)
    }

    function("dma_read", [i32, i32, i32, i32], [i32]) { _, arguments throws(Trap) -> [Value] in
      try copy(arguments, toDevice: false)
    }
  }
}

/// A program's open device (its handle's object): closing it resets the device and gives it back.
final class DeviceObject: KernelResource {
  let device: Device
  private(set) var isOpen = true

  init(_ device: Device) { self.device = device }

  func close() {
    guard isOpen else { return }
    isOpen = false
    Devices.close(device)
  }

  var isTransferable: Bool { false }
}

/// A program's DMA buffer: closing it lets go of the frames (they are freed once no descriptor
/// in flight holds them either).
final class DMAObject: KernelResource {
  private(set) var buffer: DMABuffer?
  let device: Device

  init(_ buffer: DMABuffer, device: Device) {
    self.buffer = buffer
    self.device = device
  }

  func close() {
    guard let buffer else { return }
    device.dmaBytes -= min(device.dmaBytes, buffer.size)
    self.buffer = nil
  }

  var isTransferable: Bool { false }
}
