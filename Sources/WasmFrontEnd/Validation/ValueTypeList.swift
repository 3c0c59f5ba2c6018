/// A read-only list of value types (block parameters/results, label types) that never
/// allocates: the empty and single-type block types are stored inline, type-index block
/// types share the module's `FunctionType` arrays.
public struct ValueTypeList: RandomAccessCollection, Equatable, Sendable {
    @usableFromInline
    enum Storage: Equatable, Sendable {
        case empty
        case single(ValueType)
        case array([ValueType])
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(_ storage: Storage) {
        self.storage = storage
    }

    public static let empty = ValueTypeList(.empty)

    public init(single type: ValueType) {
        self.storage = .single(type)
    }

    public init(_ types: [ValueType]) {
        self.storage = types.isEmpty ? .empty : .array(types)
    }

    public var startIndex: Int { 0 }

    @inlinable
    public var endIndex: Int {
        switch storage {
        case .empty: return 0
        case .single: return 1
        case .array(let types): return types.count
        }
    }

    @inlinable
    public var count: Int { endIndex }

    @inlinable
    public subscript(position: Int) -> ValueType {
        switch storage {
        case .empty: preconditionFailure("index out of range")
        case .single(let type):
            precondition(position == 0, "index out of range")
            return type
        case .array(let types): return types[position]
        }
    }

    public static func == (lhs: ValueTypeList, rhs: ValueTypeList) -> Bool {
        lhs.elementsEqual(rhs)
    }
}
