// Little-endian fields in on-disk structures. Callers pass offsets inside the structure's
// fixed-size buffer (checked when the buffer was read), so these never see short arrays.

extension Array where Element == UInt8 {
    func u8(_ offset: Int) -> UInt8 { self[offset] }
    func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    func u32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16
            | UInt32(self[offset + 3]) << 24
    }
    mutating func setU8(_ offset: Int, _ value: UInt8) { self[offset] = value }
    mutating func setU16(_ offset: Int, _ value: UInt16) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }
    mutating func setU32(_ offset: Int, _ value: UInt32) {
        for index in 0..<4 { self[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(8 * index)) }
    }
}
