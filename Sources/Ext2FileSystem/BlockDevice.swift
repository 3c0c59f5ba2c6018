// What the file system reads and writes through. The host tests use an image in memory or a
// file; the file-system program uses the virtio-blk driver over a channel. Offsets and lengths
// are always multiples of 512 (the file system moves whole blocks of 1, 2 or 4 KiB).

/// An error the device reported, as an errno (EIO 29, EROFS 69, ERANGE 68, …).
public struct BlockDeviceError: Error, Equatable {
    public var errno: UInt32
    public init(errno: UInt32) { self.errno = errno }
}

public protocol BlockDevice {
    /// The device's size in bytes.
    var byteCount: UInt64 { get }
    /// Reads `count` bytes at `offset`.
    mutating func read(at offset: UInt64, count: Int) throws(BlockDeviceError) -> [UInt8]
    /// Writes `bytes` at `offset`.
    mutating func write(_ bytes: [UInt8], at offset: UInt64) throws(BlockDeviceError)
    /// Returns once every completed write is durable.
    mutating func flush() throws(BlockDeviceError)
}

/// A device held in memory (tests; images built before they are written out).
public struct MemoryBlockDevice: BlockDevice {
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }
    public var byteCount: UInt64 { UInt64(bytes.count) }

    public mutating func read(at offset: UInt64, count: Int) throws(BlockDeviceError) -> [UInt8] {
        guard offset <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - offset else {
            throw BlockDeviceError(errno: 68)
        }
        return Array(bytes[Int(offset)..<Int(offset) + count])
    }

    public mutating func write(_ data: [UInt8], at offset: UInt64) throws(BlockDeviceError) {
        guard offset <= UInt64(bytes.count), UInt64(data.count) <= UInt64(bytes.count) - offset else {
            throw BlockDeviceError(errno: 68)
        }
        bytes.replaceSubrange(Int(offset)..<Int(offset) + data.count, with: data)
    }

    public mutating func flush() throws(BlockDeviceError) {}
}
