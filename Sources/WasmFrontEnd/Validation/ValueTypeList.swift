/// A read-only list of value types (block parameters/results, label types) that never
/// allocates: the empty and single-type block types are stored inline, type-index block
/// types share the module's `FunctionType` arrays.
///
/// Deliberately a plain struct, not an enum with `single`/`array` payloads: a multi-payload
/// enum keeps its case tag in the spare high bits of the array pointer, and in the kernel the
/// arrays the compiler initialises statically (`SIMDTypeLists`) live in the image at negative
/// addresses, whose high bits then read as another case (every SIMD instruction was typed as
/// taking and returning nothing there).
public struct ValueTypeList: RandomAccessCollection, Equatable, Sendable {
    /// The only element when the list has exactly one and `types` is empty.
    @usableFromInline
    let single: ValueType?
    @usableFromInline
    let types: [ValueType]

    public static let empty = ValueTypeList([])

    public init(single type: ValueType) {
        single = type
        types = []
    }

    public init(_ types: [ValueType]) {
        single = nil
        self.types = types
    }

    public var startIndex: Int { 0 }

    @inlinable
    public var endIndex: Int { single == nil ? types.count : 1 }

    @inlinable
    public var count: Int { endIndex }

    @inlinable
    public subscript(position: Int) -> ValueType {
        if let single {
            precondition(position == 0, "index out of range")
            return single
        }
        return types[position]
    }

    public static func == (lhs: ValueTypeList, rhs: ValueTypeList) -> Bool {
        lhs.elementsEqual(rhs)
    }
}
