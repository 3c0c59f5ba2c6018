// Devices for driver programs (docs/DEVICES.md). Kernel only, and only for a program that
// etc/capabilities grants the device (`NAME: device=virtio-blk`).

@_extern(wasm, module: "apus", name: "device_open") @_extern(c)
func apus_device_open(_ name: UnsafePointer<UInt8>?, _ length: UInt32) -> Int32
@_extern(wasm, module: "apus", name: "device_read") @_extern(c)
func apus_device_read(_ device: Int32, _ offset: UInt32, _ width: UInt32) -> Int64
@_extern(wasm, module: "apus", name: "device_write") @_extern(c)
func apus_device_write(_ device: Int32, _ offset: UInt32, _ width: UInt32, _ value: UInt32) -> UInt32
@_extern(wasm, module: "apus", name: "device_wait") @_extern(c)
func apus_device_wait(_ device: Int32, _ timeoutMilliseconds: Int32) -> UInt32
@_extern(wasm, module: "apus", name: "queue_setup") @_extern(c)
func apus_queue_setup(_ device: Int32, _ queue: UInt32, _ size: UInt32) -> Int32
@_extern(wasm, module: "apus", name: "queue_submit") @_extern(c)
func apus_queue_submit(_ device: Int32, _ queue: UInt32, _ segments: UnsafePointer<UInt32>?, _ count: UInt32) -> Int32
@_extern(wasm, module: "apus", name: "queue_reap") @_extern(c)
func apus_queue_reap(_ device: Int32, _ queue: UInt32, _ result: UnsafeMutablePointer<UInt32>?) -> UInt32
@_extern(wasm, module: "apus", name: "dma_alloc") @_extern(c)
func apus_dma_alloc(_ device: Int32, _ size: UInt32) -> Int32
@_extern(wasm, module: "apus", name: "dma_write") @_extern(c)
func apus_dma_write(_ buffer: Int32, _ offset: UInt32, _ source: UnsafePointer<UInt8>?, _ length: UInt32) -> UInt32
@_extern(wasm, module: "apus", name: "dma_read") @_extern(c)
func apus_dma_read(_ buffer: Int32, _ offset: UInt32, _ destination: UnsafeMutablePointer<UInt8>?, _ length: UInt32) -> UInt32

/// A device this program opened: its registers (by offset in its window), its virtqueues and
/// its interrupt. The kernel checks every call; errors are errnos.
struct Device {
    let handle: Int32

    /// Opens the first free device of `className` (e.g. "virtio-blk"). `.permissionDenied`
    /// (2) without a grant in etc/capabilities, 43 (nodev) if there is none, 10 (busy) if
    /// another driver has it.
    static func open(_ className: String) -> Result<Device, Errno> {
        let name = Array(className.utf8)
        let handle = name.withUnsafeBufferPointer { apus_device_open($0.baseAddress, UInt32($0.count)) }
        return handle >= 0 ? .success(Device(handle: handle)) : .failure(Errno(UInt16(truncatingIfNeeded: -handle)))
    }

    /// Reads `width` (1, 2 or 4) bytes of register space at `offset`.
    func read(_ offset: UInt32, width: UInt32 = 4) -> Result<UInt32, Errno> {
        let value = apus_device_read(handle, offset, width)
        return value >= 0 ? .success(UInt32(truncatingIfNeeded: value)) : .failure(Errno(UInt16(truncatingIfNeeded: -value)))
    }

    /// Writes a register; 63 (perm) for one the kernel keeps (queue addresses, size, ready).
    func write(_ offset: UInt32, _ value: UInt32, width: UInt32 = 4) -> Errno? {
        Errno.check(UInt16(truncatingIfNeeded: apus_device_write(handle, offset, width, value)))
    }

    /// Waits for the device's next interrupt (nil: no limit); 73 (timedout) after the limit.
    func waitForInterrupt(milliseconds: Int32? = nil) -> Errno? {
        Errno.check(UInt16(truncatingIfNeeded: apus_device_wait(handle, milliseconds ?? -1)))
    }

    /// Sets up virtqueue `queue` with up to `size` entries (rings in kernel memory); returns the size.
    func setUpQueue(_ queue: UInt32, size: UInt32) -> Result<UInt32, Errno> {
        let result = apus_queue_setup(handle, queue, size)
        return result >= 0 ? .success(UInt32(result)) : .failure(Errno(UInt16(truncatingIfNeeded: -result)))
    }

    /// Publishes a request (a chain of buffer segments) on `queue`; returns its id.
    func submit(_ queue: UInt32, _ segments: [DMASegment]) -> Result<UInt32, Errno> {
        var words: [UInt32] = []
        for segment in segments {
            words += [UInt32(bitPattern: segment.buffer.handle), segment.offset, segment.length, segment.deviceWrites ? 1 : 0]
        }
        let id = words.withUnsafeBufferPointer { apus_queue_submit(handle, queue, $0.baseAddress, UInt32(segments.count)) }
        return id >= 0 ? .success(UInt32(id)) : .failure(Errno(UInt16(truncatingIfNeeded: -id)))
    }

    /// The next completed request on `queue`: its id and the bytes the device wrote; nil if none.
    func reap(_ queue: UInt32) -> Result<(id: UInt32, length: UInt32)?, Errno> {
        var result: [UInt32] = [0, 0]
        let errno = result.withUnsafeMutableBufferPointer { apus_queue_reap(handle, queue, $0.baseAddress) }
        if errno == 6 { return .success(nil) }
        if let error = Errno.check(UInt16(truncatingIfNeeded: errno)) { return .failure(error) }
        return .success((result[0], result[1]))
    }

    /// A zeroed DMA buffer of at least `size` bytes for this device.
    func allocateBuffer(_ size: UInt32) -> Result<DMABuffer, Errno> {
        let buffer = apus_dma_alloc(handle, size)
        return buffer >= 0 ? .success(DMABuffer(handle: buffer)) : .failure(Errno(UInt16(truncatingIfNeeded: -buffer)))
    }

    /// Resets the device and gives it back (also done when the program ends).
    func close() { _ = apus_handle_close(handle) }
}

/// Memory the device may read or write, named by handle; data moves through the kernel.
struct DMABuffer {
    let handle: Int32

    func write(_ bytes: [UInt8], at offset: UInt32) -> Errno? {
        let errno = bytes.withUnsafeBufferPointer { apus_dma_write(handle, offset, $0.baseAddress, UInt32($0.count)) }
        return Errno.check(UInt16(truncatingIfNeeded: errno))
    }

    func read(at offset: UInt32, count: Int) -> Result<[UInt8], Errno> {
        var bytes = [UInt8](repeating: 0, count: count)
        let errno = bytes.withUnsafeMutableBufferPointer { apus_dma_read(handle, offset, $0.baseAddress, UInt32(count)) }
        if let error = Errno.check(UInt16(truncatingIfNeeded: errno)) { return .failure(error) }
        return .success(bytes)
    }

    func close() { _ = apus_handle_close(handle) }
}

/// One part of a request: bytes [offset, offset + length) of `buffer`.
struct DMASegment {
    var buffer: DMABuffer
    var offset: UInt32
    var length: UInt32
    var deviceWrites: Bool
}

// MARK: Little-endian fields (device registers, the block protocol)

/// The `count`-byte little-endian number at `at` (bytes past the end read as zero).
func little(_ bytes: [UInt8], _ at: Int, _ count: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in 0..<count where at + index < bytes.count { value |= UInt64(bytes[at + index]) << UInt64(8 * index) }
    return value
}

/// Appends the low `count` bytes of `value`, little-endian.
func appendLittle(_ bytes: inout [UInt8], _ value: UInt64, _ count: Int) {
    for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * index))) }
}

/// A block-protocol request as clients send it to the block driver (docs/DEVICES.md, "Block
/// protocol"): operation, 7 reserved bytes, sector (u64), sector count (u32), 4 reserved, data.
func blockRequest(_ operation: UInt8, sector: UInt64 = 0, count: UInt32 = 0, data: [UInt8] = []) -> [UInt8] {
    var bytes: [UInt8] = [operation, 0, 0, 0, 0, 0, 0, 0]
    appendLittle(&bytes, sector, 8)
    appendLittle(&bytes, UInt64(count), 4)
    bytes += [0, 0, 0, 0]
    return bytes + data
}
