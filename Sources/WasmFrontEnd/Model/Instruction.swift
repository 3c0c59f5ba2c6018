/// One decoded WebAssembly instruction. `InstructionReader` produces these one at a time;
/// `FunctionValidator` checks them and the compiler lowers them in the same pass.
public enum Instruction: Equatable, Sendable {
    // Control (0x00–0x11)
    case unreachable
    case nop
    case block(BlockType)
    case loop(BlockType)
    case `if`(BlockType)
    case `else`
    case end
    case br(depth: UInt32)
    case brIf(depth: UInt32)
    case brTable(BranchTable)
    case `return`
    case call(function: UInt32)
    case callIndirect(typeIndex: UInt32, table: UInt32)

    // Reference (0xD0–0xD2)
    case refNull(ReferenceType)
    case refIsNull
    case refFunc(function: UInt32)

    // Parametric (0x1A–0x1C)
    case drop
    /// `select` without a type annotation (numeric and vector operands only).
    case select
    /// `select t` (0x1C) with its single annotated type.
    case typedSelect(ValueType)

    // Variables (0x20–0x24)
    case localGet(UInt32)
    case localSet(UInt32)
    case localTee(UInt32)
    case globalGet(UInt32)
    case globalSet(UInt32)

    // Tables (0x25, 0x26, 0xFC 12–17)
    case tableGet(table: UInt32)
    case tableSet(table: UInt32)
    case tableInit(element: UInt32, table: UInt32)
    case elemDrop(element: UInt32)
    case tableCopy(destination: UInt32, source: UInt32)
    case tableGrow(table: UInt32)
    case tableSize(table: UInt32)
    case tableFill(table: UInt32)

    // Memory (0x28–0x40, 0xFC 8–11)
    case load(LoadOperation, MemoryArgument)
    case store(StoreOperation, MemoryArgument)
    case memorySize(memory: UInt32)
    case memoryGrow(memory: UInt32)
    case memoryInit(data: UInt32, memory: UInt32)
    case dataDrop(data: UInt32)
    case memoryCopy(destination: UInt32, source: UInt32)
    case memoryFill(memory: UInt32)

    // Constants (0x41–0x44); floats keep their exact bit patterns (NaN payloads matter).
    case i32Const(Int32)
    case i64Const(Int64)
    case f32Const(bits: UInt32)
    case f64Const(bits: UInt64)

    /// Every numeric instruction without immediates (0x45–0xC4, 0xFC 0–7).
    case numeric(NumericOperation)

    // SIMD (0xFD prefix)
    case v128Const(V128)
    case i8x16Shuffle(V128)
    /// SIMD instructions without immediates.
    case simd(SIMDOperation)
    case simdLoad(SIMDLoadOperation, MemoryArgument)
    case v128Store(MemoryArgument)
    case simdLoadLane(SIMDLaneMemoryOperation, MemoryArgument, lane: UInt8)
    case simdStoreLane(SIMDLaneMemoryOperation, MemoryArgument, lane: UInt8)
    case simdLane(SIMDLaneOperation, lane: UInt8)
    /// Relaxed SIMD (WebAssembly 3.0, 0xFD 0x100–0x113).
    case relaxedSIMD(RelaxedSIMDOperation)
}

public struct BranchTable: Equatable, Sendable {
    public var targets: [UInt32]
    public var defaultTarget: UInt32

    public init(targets: [UInt32], defaultTarget: UInt32) {
        self.targets = targets
        self.defaultTarget = defaultTarget
    }
}

/// The `memarg` immediate. `align` is the log2 alignment hint as encoded.
public struct MemoryArgument: Equatable, Sendable {
    public var align: UInt32
    public var offset: UInt64
    public var memory: UInt32

    public init(align: UInt32, offset: UInt64, memory: UInt32 = 0) {
        self.align = align
        self.offset = offset
        self.memory = memory
    }
}

/// A 128-bit vector immediate, little-endian.
public struct V128: Equatable, Hashable, Sendable {
    public var low: UInt64
    public var high: UInt64

    public init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    public func byte(_ index: Int) -> UInt8 {
        index < 8 ? UInt8(truncatingIfNeeded: low >> (8 * UInt64(index)))
            : UInt8(truncatingIfNeeded: high >> (8 * UInt64(index - 8)))
    }
}

/// Scalar loads; raw values are the opcodes.
public enum LoadOperation: UInt8, Equatable, Sendable {
    case i32Load = 0x28, i64Load = 0x29, f32Load = 0x2A, f64Load = 0x2B
    case i32Load8S = 0x2C, i32Load8U = 0x2D, i32Load16S = 0x2E, i32Load16U = 0x2F
    case i64Load8S = 0x30, i64Load8U = 0x31, i64Load16S = 0x32, i64Load16U = 0x33
    case i64Load32S = 0x34, i64Load32U = 0x35

    public var resultType: ValueType {
        switch self {
        case .i32Load, .i32Load8S, .i32Load8U, .i32Load16S, .i32Load16U: return .i32
        case .f32Load: return .f32
        case .f64Load: return .f64
        default: return .i64
        }
    }

    /// Bytes read from memory.
    public var byteWidth: Int {
        switch self {
        case .i32Load8S, .i32Load8U, .i64Load8S, .i64Load8U: return 1
        case .i32Load16S, .i32Load16U, .i64Load16S, .i64Load16U: return 2
        case .i32Load, .f32Load, .i64Load32S, .i64Load32U: return 4
        case .i64Load, .f64Load: return 8
        }
    }
}

/// Scalar stores; raw values are the opcodes.
public enum StoreOperation: UInt8, Equatable, Sendable {
    case i32Store = 0x36, i64Store = 0x37, f32Store = 0x38, f64Store = 0x39
    case i32Store8 = 0x3A, i32Store16 = 0x3B
    case i64Store8 = 0x3C, i64Store16 = 0x3D, i64Store32 = 0x3E

    public var valueType: ValueType {
        switch self {
        case .i32Store, .i32Store8, .i32Store16: return .i32
        case .f32Store: return .f32
        case .f64Store: return .f64
        default: return .i64
        }
    }

    public var byteWidth: Int {
        switch self {
        case .i32Store8, .i64Store8: return 1
        case .i32Store16, .i64Store16: return 2
        case .i32Store, .f32Store, .i64Store32: return 4
        case .i64Store, .f64Store: return 8
        }
    }
}
