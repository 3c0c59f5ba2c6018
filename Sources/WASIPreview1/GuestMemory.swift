import WasmRuntime

/// A bounds-checked view of the guest's linear memory for the duration of one host call (no
/// wasm code runs meanwhile, so the memory cannot grow or move). Every access outside the
/// memory throws `.fault`; values are little-endian and may be unaligned.
struct GuestMemory {
    let base: UnsafeMutableRawPointer
    let size: UInt64

    init(_ memory: Memory) {
        base = memory.baseAddress
        size = memory.byteCount
    }

    init(base: UnsafeMutableRawPointer, size: UInt64) {
        self.base = base
        self.size = size
    }

    /// The address of `count` bytes at `address`, checked.
    func pointer(_ address: UInt32, _ count: UInt64) throws(WASIErrno) -> UnsafeMutableRawPointer {
        let (end, overflow) = UInt64(address).addingReportingOverflow(count)
        guard !overflow, end <= size else { throw .fault }
        return base + Int(address)
    }

    func buffer(_ address: UInt32, _ count: UInt32) throws(WASIErrno) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: try pointer(address, UInt64(count)), count: Int(count))
    }

    func load8(_ address: UInt32) throws(WASIErrno) -> UInt8 {
        try pointer(address, 1).load(as: UInt8.self)
    }
    func load16(_ address: UInt32) throws(WASIErrno) -> UInt16 {
        UInt16(littleEndian: try pointer(address, 2).loadUnaligned(as: UInt16.self))
    }
    func load32(_ address: UInt32) throws(WASIErrno) -> UInt32 {
        UInt32(littleEndian: try pointer(address, 4).loadUnaligned(as: UInt32.self))
    }
    func load64(_ address: UInt32) throws(WASIErrno) -> UInt64 {
        UInt64(littleEndian: try pointer(address, 8).loadUnaligned(as: UInt64.self))
    }

    func store8(_ address: UInt32, _ value: UInt8) throws(WASIErrno) {
        try pointer(address, 1).storeBytes(of: value, as: UInt8.self)
    }
    func store16(_ address: UInt32, _ value: UInt16) throws(WASIErrno) {
        try pointer(address, 2).storeBytes(of: value.littleEndian, as: UInt16.self)
    }
    func store32(_ address: UInt32, _ value: UInt32) throws(WASIErrno) {
        try pointer(address, 4).storeBytes(of: value.littleEndian, as: UInt32.self)
    }
    func store64(_ address: UInt32, _ value: UInt64) throws(WASIErrno) {
        try pointer(address, 8).storeBytes(of: value.littleEndian, as: UInt64.self)
    }

    /// A copy of `count` bytes at `address`.
    func bytes(_ address: UInt32, _ count: UInt32) throws(WASIErrno) -> [UInt8] {
        let source = try buffer(address, count)
        return [UInt8](UnsafeRawBufferPointer(source))
    }

    /// Copies `bytes` to `address`.
    func write(_ address: UInt32, _ bytes: [UInt8]) throws(WASIErrno) {
        let destination = try buffer(address, UInt32(truncatingIfNeeded: bytes.count))
        guard UInt64(bytes.count) <= size else { throw .fault }
        bytes.withUnsafeBytes { source in
            if let from = source.baseAddress, let to = destination.baseAddress {
                to.copyMemory(from: from, byteCount: source.count)
            }
        }
    }

    /// Checks an `iovec` array and returns its buffers (each checked).
    func ioVectors(_ address: UInt32, _ count: UInt32) throws(WASIErrno) -> [UnsafeMutableRawBufferPointer] {
        // Check the whole array first, so that the allocation below is bounded by memory size.
        _ = try pointer(address, UInt64(count) * UInt64(WASILayout.iovecSize))
        var vectors: [UnsafeMutableRawBufferPointer] = []
        vectors.reserveCapacity(Int(count))
        var entry = address
        for _ in 0..<count {
            let start = try load32(entry)
            let length = try load32(entry &+ 4)
            vectors.append(try buffer(start, length))
            entry &+= UInt32(WASILayout.iovecSize)
        }
        return vectors
    }
}
