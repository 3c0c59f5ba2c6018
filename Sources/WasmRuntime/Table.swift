import WasmCompiler
import WasmFrontEnd

/// A table of references. A handle: it keeps its store alive.
public struct Table {
    let store: Store
    let entity: TableEntity

    public var elementType: ReferenceType { entity.elementType }
    /// Declared maximum, if any.
    public var maximum: UInt64? { entity.maximum }
    /// Current number of elements.
    public var count: UInt64 { entity.count }
    /// The table's current type (min = current size), for import matching.
    public var type: TableType { TableType(elementType: elementType, limits: Limits(min: count, max: maximum)) }

    /// Grows by `delta` elements set to `value`; returns the old size, or nil (table
    /// unchanged) past the maximum or if `value` has the wrong type.
    @discardableResult
    public func grow(by delta: UInt64, value: Value) -> UInt64? {
        guard let raw = store.rawReference(value, type: elementType) else { return nil }
        return entity.grow(by: delta, initialValue: raw)
    }

    /// The element at `index`, or nil when out of bounds.
    public func get(_ index: UInt64) -> Value? {
        guard index < count else { return nil }
        return store.value(ofRawReference: entity.elements[Int(index)], type: elementType)
    }

    /// Sets the element at `index`; false when out of bounds or of the wrong type.
    @discardableResult
    public func set(_ index: UInt64, _ value: Value) -> Bool {
        guard index < count, let raw = store.rawReference(value, type: elementType) else { return false }
        entity.elements[Int(index)] = raw
        return true
    }
}

/// The store-owned state of a table. Compiled code reaches it through its `VMTable` record
/// (elements pointer, length); elements are 8 bytes: a `VMFuncRef` address or an encoded
/// externref, 0 for null.
final class TableEntity {
    let elementType: ReferenceType
    let maximum: UInt64?
    let limit: UInt64
    let vmTable: UnsafeMutableRawPointer
    private var capacity: Int
    private let vmData: VMDataAllocator

    init?(store: Store, type: TableType, initialValue: UInt64) {
        elementType = type.elementType
        maximum = type.limits.max
        limit = min(type.limits.max ?? UInt64(UInt32.max), store.engine.configuration.tableElementLimit)
        vmData = store.engine.vmData
        vmTable = vmData.allocate(byteCount: VMTableLayout.size)
        let elements = vmData.allocate(capacity: 1, of: UInt64.self)
        vmTable.storeBytes(of: elements, toByteOffset: VMTableLayout.elements, as: UnsafeMutablePointer<UInt64>.self)
        vmTable.storeBytes(of: 0, toByteOffset: VMTableLayout.length, as: UInt64.self)
        capacity = 1
        guard type.limits.min <= limit, grow(by: type.limits.min, initialValue: initialValue) != nil else {
            return nil
        }
    }

    deinit {
        vmData.deallocate(elements)
        vmData.deallocate(vmTable)
    }

    var elements: UnsafeMutablePointer<UInt64> {
        vmTable.load(fromByteOffset: VMTableLayout.elements, as: UnsafeMutablePointer<UInt64>.self)
    }

    var count: UInt64 { vmTable.load(fromByteOffset: VMTableLayout.length, as: UInt64.self) }

    /// Grows by `delta` elements set to the raw `initialValue`; returns the old size, or nil
    /// (table unchanged) past the maximum.
    func grow(by delta: UInt64, initialValue: UInt64) -> UInt64? {
        let old = count
        guard delta <= limit, old + delta <= limit else { return nil }
        let newCount = Int(old + delta)
        if newCount > capacity {
            let newCapacity = max(newCount, min(capacity * 2, Int(limit)))
            let newElements = vmData.allocate(capacity: newCapacity, of: UInt64.self)
            newElements.update(from: elements, count: Int(old))
            vmData.deallocate(elements)
            vmTable.storeBytes(of: newElements, toByteOffset: VMTableLayout.elements,
                               as: UnsafeMutablePointer<UInt64>.self)
            capacity = newCapacity
        }
        (elements + Int(old)).initialize(repeating: initialValue, count: Int(delta))
        vmTable.storeBytes(of: UInt64(newCount), toByteOffset: VMTableLayout.length, as: UInt64.self)
        return old
    }
}
