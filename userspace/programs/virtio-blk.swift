// virtio-blk [--check-refusals] — the virtio block driver, a program like any other (ring 3,
// WebAssembly). etc/capabilities grants it the device (`virtio-blk: device=virtio-blk`); the
// kernel checks every register access and builds every descriptor (docs/DEVICES.md).
//
// It serves the program that started it, over the channel it was started with (handle 4096),
// one request per message (docs/DEVICES.md, "Block protocol"): info, read, write and flush of
// 512-byte sectors. It ends when that channel closes; the kernel then resets the device.
// `--check-refusals` first tries what a driver must not be able to do and reports the errnos;
// `--wait-forever` waits for an interrupt that never comes (a kill must still end it).
// `--trap-requests` makes it answer operation 255 by trapping with a read in flight on the
// device (tests of the kernel's restart of a driver marked `restart` in etc/capabilities).

/// virtio-mmio registers and virtio-blk constants (virtio 1.2, sections 4.2.2 and 5.2).
enum Virtio {
    static let magic: UInt32 = 0x000, version: UInt32 = 0x004, deviceID: UInt32 = 0x008
    static let deviceFeatures: UInt32 = 0x010, deviceFeaturesSelect: UInt32 = 0x014
    static let driverFeatures: UInt32 = 0x020, driverFeaturesSelect: UInt32 = 0x024
    static let queueSelect: UInt32 = 0x030, queueDescriptorLow: UInt32 = 0x080
    static let interruptStatus: UInt32 = 0x060, interruptAcknowledge: UInt32 = 0x064, status: UInt32 = 0x070
    static let configuration: UInt32 = 0x100
    // Status bits.
    static let acknowledge: UInt32 = 1, driver: UInt32 = 2, driverOK: UInt32 = 4, featuresOK: UInt32 = 8
    // Features: VIRTIO_BLK_F_RO (5), VIRTIO_BLK_F_FLUSH (9); VIRTIO_F_VERSION_1 is bit 32.
    static let readOnly: UInt32 = 1 << 5, flush: UInt32 = 1 << 9, version1High: UInt32 = 1
    // Request types.
    static let typeIn: UInt32 = 0, typeOut: UInt32 = 1, typeFlush: UInt32 = 4
}

/// The block protocol's operations (first byte of a request).
enum BlockOperation {
    static let info: UInt8 = 1, read: UInt8 = 2, write: UInt8 = 3, flush: UInt8 = 4
    /// Tests only (`--trap-requests`): the driver traps with a device request in flight.
    static let trapOnPurpose: UInt8 = 255
    static let sectorSize = 512
    /// Sectors one request may move (32 KiB: well inside a channel message).
    static let maximumSectors = 64
}

func fail(_ message: String) -> Never {
    printError("virtio-blk: " + message)
    exit(1)
}

/// The device after feature negotiation, with one request queue.
struct BlockDevice {
    let device: Device
    let capacity: UInt64
    let canFlush: Bool
    let isReadOnly: Bool
    /// Header at 0 (16 bytes), status byte at 16, data from 4096 (32 KiB).
    let buffer: DMABuffer
    static let dataOffset: UInt32 = 4096

    static func start(_ device: Device) -> BlockDevice {
        func register(_ offset: UInt32) -> UInt32 {
            switch device.read(offset) {
            case .success(let value): return value
            case .failure(let error): fail("cannot read register " + String(offset) + ": " + error.message)
            }
        }
        func set(_ offset: UInt32, _ value: UInt32) {
            if let error = device.write(offset, value) { fail("cannot write register " + String(offset) + ": " + error.message) }
        }
        guard register(Virtio.magic) == 0x7472_6976, register(Virtio.version) == 2, register(Virtio.deviceID) == 2 else {
            fail("not a virtio-mmio (version 2) block device")
        }
        set(Virtio.status, 0)
        set(Virtio.status, Virtio.acknowledge)
        set(Virtio.status, Virtio.acknowledge | Virtio.driver)
        set(Virtio.deviceFeaturesSelect, 0)
        let offered = register(Virtio.deviceFeatures)
        set(Virtio.deviceFeaturesSelect, 1)
        guard register(Virtio.deviceFeatures) & Virtio.version1High != 0 else { fail("the device does not offer VIRTIO_F_VERSION_1") }
        set(Virtio.driverFeaturesSelect, 0)
        set(Virtio.driverFeatures, offered & (Virtio.flush | Virtio.readOnly))
        set(Virtio.driverFeaturesSelect, 1)
        set(Virtio.driverFeatures, Virtio.version1High)
        set(Virtio.status, Virtio.acknowledge | Virtio.driver | Virtio.featuresOK)
        guard register(Virtio.status) & Virtio.featuresOK != 0 else { fail("the device refused the features") }
        guard case .success = device.setUpQueue(0, size: 16) else { fail("cannot set up the request queue") }
        set(Virtio.status, Virtio.acknowledge | Virtio.driver | Virtio.featuresOK | Virtio.driverOK)
        let capacity = UInt64(register(Virtio.configuration)) | UInt64(register(Virtio.configuration + 4)) << 32
        guard case .success(let buffer) = device.allocateBuffer(BlockDevice.dataOffset + 32768) else { fail("no DMA buffer") }
        return BlockDevice(device: device, capacity: capacity, canFlush: offered & Virtio.flush != 0,
                           isReadOnly: offered & Virtio.readOnly != 0, buffer: buffer)
    }

    /// One request: the header, the data (if any) and the status byte, then the wait for its
    /// completion. Returns the errno for the client (0 success, 29 io, 58 notsup, …).
    /// `trapInFlight` (tests): trap once the request is with the device, before its completion.
    func perform(type: UInt32, sector: UInt64, dataLength: UInt32, deviceWritesData: Bool,
                 trapInFlight: Bool = false) -> UInt16 {
        var header: [UInt8] = []
        appendLittle(&header, UInt64(type), 4)
        appendLittle(&header, 0, 4)
        appendLittle(&header, sector, 8)
        header.append(0xFF)  // the status byte, overwritten by the device
        if buffer.write(header, at: 0) != nil { return 29 }
        var segments = [DMASegment(buffer: buffer, offset: 0, length: 16, deviceWrites: false)]
        if dataLength > 0 {
            segments.append(DMASegment(buffer: buffer, offset: BlockDevice.dataOffset, length: dataLength, deviceWrites: deviceWritesData))
        }
        segments.append(DMASegment(buffer: buffer, offset: 16, length: 1, deviceWrites: true))
        guard case .success(let id) = device.submit(0, segments) else { return 29 }
        if trapInFlight { fatalError() }
        // Completion: reap until ours comes back, waiting for the interrupt in between.
        var waited = 0
        while true {
            switch device.reap(0) {
            case .failure: return 29
            case .success(let done?) where done.id == id:
                guard case .success(let status) = buffer.read(at: 16, count: 1) else { return 29 }
                return status[0] == 0 ? 0 : (status[0] == 2 ? 58 : 29)
            case .success(.some): continue  // not ours (none other is in flight)
            case .success(nil): break
            }
            if waited == 50 { return 29 }  // 5 s without an answer
            if let error = device.waitForInterrupt(milliseconds: 100), error.rawValue != 73 { return 29 }
            waited += 1
            // Acknowledge what the device reported, so its line drops until the next completion.
            if case .success(let pending) = device.read(Virtio.interruptStatus), pending != 0 {
                _ = device.write(Virtio.interruptAcknowledge, pending)
            }
        }
    }

    /// Answers one request message (`trapRequests`: operation 255 traps on purpose).
    func serve(_ request: [UInt8], trapRequests: Bool) -> [UInt8] {
        var reply: [UInt8] = []
        func answer(_ errno: UInt16) -> [UInt8] {
            var bytes: [UInt8] = []
            appendLittle(&bytes, UInt64(errno), 4)
            appendLittle(&bytes, 0, 4)
            return bytes
        }
        guard request.count >= 24 else { return answer(28) }
        let operation = request[0]
        let sector = little(request, 8, 8)
        let count = Int(little(request, 16, 4))
        if operation == BlockOperation.info {
            reply = answer(0)
            appendLittle(&reply, capacity, 8)
            appendLittle(&reply, UInt64(BlockOperation.sectorSize), 4)
            appendLittle(&reply, (canFlush ? 1 : 0) | (isReadOnly ? 2 : 0), 4)
            return reply
        }
        if operation == BlockOperation.trapOnPurpose, trapRequests {
            _ = perform(type: Virtio.typeIn, sector: 0, dataLength: UInt32(BlockOperation.sectorSize),
                        deviceWritesData: true, trapInFlight: true)
        }
        if operation == BlockOperation.flush {
            guard canFlush else { return answer(0) }  // nothing is cached: writes are durable
            return answer(perform(type: Virtio.typeFlush, sector: 0, dataLength: 0, deviceWritesData: false))
        }
        guard operation == BlockOperation.read || operation == BlockOperation.write else { return answer(58) }
        guard count >= 1, count <= BlockOperation.maximumSectors else { return answer(28) }
        guard sector < capacity, UInt64(count) <= capacity - sector else { return answer(68) }
        let bytes = UInt32(count * BlockOperation.sectorSize)
        if operation == BlockOperation.write {
            guard !isReadOnly else { return answer(69) }  // rofs
            guard request.count == 24 + Int(bytes) else { return answer(28) }
            if buffer.write(Array(request[24...]), at: BlockDevice.dataOffset) != nil { return answer(29) }
            return answer(perform(type: Virtio.typeOut, sector: sector, dataLength: bytes, deviceWritesData: false))
        }
        let errno = perform(type: Virtio.typeIn, sector: sector, dataLength: bytes, deviceWritesData: true)
        guard errno == 0, case .success(let data) = buffer.read(at: BlockDevice.dataOffset, count: Int(bytes)) else {
            return answer(errno == 0 ? 29 : errno)
        }
        return answer(0) + data
    }
}

/// What a driver must not be able to do; each line names the call and the errno it got.
func checkRefusals(_ device: Device) {
    var failures = 0
    func expect(_ what: String, _ errno: UInt16?, _ wanted: UInt16) {
        let got = errno ?? 0
        print("virtio-blk: refused " + what + ": errno " + String(got) + (got == wanted ? "" : " (expected " + String(wanted) + ")"))
        if got != wanted { failures += 1 }
    }
    func readError(_ result: Result<UInt32, Errno>) -> UInt16? {
        if case .failure(let error) = result { return error.rawValue }
        return nil
    }
    expect("a read outside the register window", readError(device.read(0x200)), 68)
    expect("a read far outside the window", readError(device.read(0xFFFF_FFFC)), 68)
    expect("a misaligned read", readError(device.read(0x102, width: 4)), 28)
    expect("a write of a queue address", device.write(Virtio.queueDescriptorLow, 0x1000)?.rawValue, 63)
    expect("a write outside the window", device.write(0x400, 1)?.rawValue, 68)
    if case .failure(let error) = Device.open("virtio-blk") { expect("a second open", error.rawValue, 10) }
    else { expect("a second open", nil, 10) }
    if case .failure(let error) = Device.open("virtio-net") { expect("an ungranted device class", error.rawValue, 2) }
    else { expect("an ungranted device class", nil, 2) }
    guard case .success(let buffer) = device.allocateBuffer(4096) else { fail("no DMA buffer") }
    // Submitting needs a queue; a buffer this program does not own (the device's own handle,
    // a made-up handle), or bytes outside its own buffer, are refused before any descriptor.
    _ = device.setUpQueue(0, size: 16)
    func submitError(_ segment: DMASegment) -> UInt16? {
        if case .failure(let error) = device.submit(0, [segment]) { return error.rawValue }
        return nil
    }
    expect("a buffer that is not a DMA buffer", submitError(DMASegment(buffer: DMABuffer(handle: device.handle), offset: 0, length: 16, deviceWrites: true)), 8)
    expect("a made-up buffer handle", submitError(DMASegment(buffer: DMABuffer(handle: 0x7FFF_0123), offset: 0, length: 16, deviceWrites: true)), 8)
    expect("bytes beyond the buffer", submitError(DMASegment(buffer: buffer, offset: 4000, length: 200, deviceWrites: true)), 68)
    expect("an offset that wraps", submitError(DMASegment(buffer: buffer, offset: 0xFFFF_FF00, length: 0x200, deviceWrites: true)), 68)
    expect("a DMA copy from outside this program's memory",
           UInt16(truncatingIfNeeded: apus_dma_write(buffer.handle, 0, UnsafePointer(bitPattern: 0x7FFF_FFF0), 64)), 21)
    expect("a DMA copy beyond the buffer", buffer.write([1, 2, 3, 4], at: 4094)?.rawValue, 68)
    buffer.close()
    expect("a closed buffer", submitError(DMASegment(buffer: buffer, offset: 0, length: 16, deviceWrites: true)), 8)
    if failures == 0 { print("virtio-blk: refusals ok") } else { fail(String(failures) + " checks failed") }
}

@main struct Main {
    static func main() {
        let arguments = commandLineArguments()
        let device: Device
        switch Device.open("virtio-blk") {
        case .success(let opened): device = opened
        case .failure(let error): fail("cannot open the device: " + error.message)
        }
        if arguments.count > 1, arguments[1] == "--check-refusals" {
            checkRefusals(device)
            _ = device.write(Virtio.status, 0)  // a reset drops the queue the checks set up
        }
        let block = BlockDevice.start(device)
        if arguments.count > 1, arguments[1] == "--wait-forever" {
            // No request is in flight: only a kill ends this wait.
            let error = device.waitForInterrupt()
            fail("the wait ended: " + (error?.message ?? "an interrupt"))
        }
        var trapRequests = false
        for word in arguments.dropFirst() where word == "--trap-requests" { trapRequests = true }
        let client = Channel.inherited(0)
        while case .success(let request) = client.receive(capacity: 24 + BlockOperation.maximumSectors * BlockOperation.sectorSize) {
            if let error = client.send(block.serve(request.bytes, trapRequests: trapRequests)) { fail("cannot answer: " + error.message) }
        }
        device.close()
    }
}
