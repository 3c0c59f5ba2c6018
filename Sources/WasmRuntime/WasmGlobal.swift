import WasmFrontEnd

/// A global variable. A handle: it keeps its store alive. Named `WasmGlobal` because
/// `WasmFrontEnd.Global` is the module's declaration.
public struct WasmGlobal {
    let store: Store
    let entity: GlobalEntity

    public var type: GlobalType { entity.type }

    /// The current value.
    public var value: Value { store.value(ofRawSlot: entity.rawValue, type: type.valueType) }

    /// Sets the value (regardless of mutability: this is the host's view). False if the value
    /// has the wrong type.
    @discardableResult
    public func set(_ value: Value) -> Bool {
        guard value.type == type.valueType, let raw = store.rawSlot(value) else { return false }
        entity.rawValue = raw
        return true
    }
}

/// The store-owned cell of a global: 16 bytes holding the value in its low bytes. Instances
/// that import a global point at the exporter's cell, so writes are shared.
final class GlobalEntity {
    let type: GlobalType
    let cell: UnsafeMutableRawPointer

    private let vmData: VMDataAllocator

    init(type: GlobalType, raw: V128, vmData: VMDataAllocator) {
        self.type = type
        self.vmData = vmData
        cell = vmData.allocate(byteCount: 16)
        cell.storeBytes(of: raw.low, toByteOffset: 0, as: UInt64.self)
        cell.storeBytes(of: raw.high, toByteOffset: 8, as: UInt64.self)
    }

    deinit { vmData.deallocate(cell) }

    var rawValue: V128 {
        get { V128(low: cell.load(as: UInt64.self), high: cell.load(fromByteOffset: 8, as: UInt64.self)) }
        set {
            cell.storeBytes(of: newValue.low, toByteOffset: 0, as: UInt64.self)
            cell.storeBytes(of: newValue.high, toByteOffset: 8, as: UInt64.self)
        }
    }
}
