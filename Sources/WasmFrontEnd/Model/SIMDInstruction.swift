// SIMD (0xFD-prefixed) instruction kinds. PLACEHOLDER: filled in by the SIMD work.

/// SIMD instructions without immediates; raw values are the 0xFD subopcodes.
public enum SIMDOperation: UInt32, Equatable, Sendable {
    case v128Not = 0x4D
}

/// `v128.load` and the extending/splatting/zeroing loads; raw values are subopcodes.
public enum SIMDLoadOperation: UInt32, Equatable, Sendable {
    case v128Load = 0x00
}

/// `v128.loadN_lane` / `v128.storeN_lane`, by lane width; raw values are the load subopcodes.
public enum SIMDLaneMemoryOperation: UInt32, Equatable, Sendable {
    case lane8 = 0x54
}

/// extract_lane / replace_lane; raw values are subopcodes.
public enum SIMDLaneOperation: UInt32, Equatable, Sendable {
    case i8x16ExtractLaneS = 0x15
}
