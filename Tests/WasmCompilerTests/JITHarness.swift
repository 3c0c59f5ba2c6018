import Foundation
import Glibc
import WasmFrontEnd
@testable import WasmCompiler

/// Loads a `CompiledModule` into executable memory (RW mapping → mprotect RX, never W+X) and
/// calls its functions through the entry trampoline with a hand-built VMContext. A SIGILL /
/// SIGSEGV / SIGBUS handler turns faults at trap sites into trap kinds, like the runtime does.
final class JITInstance {
    let compiled: CompiledModule
    let code: UnsafeMutableRawPointer
    let codeSize: Int
    let context: UnsafeMutableRawPointer
    let storeContext: UnsafeMutableRawPointer
    let activation: UnsafeMutableRawPointer
    let funcRefs: UnsafeMutableRawPointer
    let globalCells: UnsafeMutableRawPointer
    let globalPointers: UnsafeMutablePointer<UInt64>
    let typeIDs: UnsafeMutablePointer<UInt64>
    let builtins: UnsafeMutablePointer<UInt64>
    var tables: [UnsafeMutableRawPointer] = []
    let tablePointers: UnsafeMutablePointer<UInt64>
    let memoryStruct: UnsafeMutableRawPointer
    let memoryPointers: UnsafeMutablePointer<UInt64>
    var memory: UnsafeMutableRawPointer?
    var memoryReservation = 0
    let module: Module
    /// Host functions called through the host-call stub: index → body.
    var hostFunctions: [UInt32: ([UInt64]) -> [UInt64]?] = [:]

    init(_ module: Module, configuration: CompilerConfiguration = CompilerConfiguration(),
         memoryPages: Int = 0, tableSize: Int = 0) throws {
        self.module = module
        compiled = try compileModule(module, configuration: configuration)
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        codeSize = max(pageSize, (compiled.code.count + pageSize - 1) / pageSize * pageSize)
        guard let mapping = mmap(nil, codeSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapping != MAP_FAILED else { throw POSIXError(.ENOMEM) }
        code = mapping
        compiled.code.withUnsafeBytes { mapping.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        guard mprotect(code, codeSize, PROT_READ | PROT_EXEC) == 0 else { throw POSIXError(.EACCES) }

        context = .allocate(byteCount: VMContextLayout.headerSize, alignment: 16)
        storeContext = .allocate(byteCount: VMStoreContextLayout.size, alignment: 16)
        activation = .allocate(byteCount: VMActivationLayout.size, alignment: 16)
        let functionCount = module.importedFunctionCount + module.functionBodies.count
        funcRefs = .allocate(byteCount: max(1, functionCount) * VMFuncRefLayout.size, alignment: 16)
        globalCells = .allocate(byteCount: max(1, module.globals.count) * 16, alignment: 16)
        globalCells.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, module.globals.count) * 16)
        globalPointers = .allocate(capacity: max(1, module.globals.count))
        typeIDs = .allocate(capacity: max(1, module.types.count))
        builtins = .allocate(capacity: VMBuiltin.allCases.count)
        builtins.initialize(repeating: 0, count: VMBuiltin.allCases.count)
        tablePointers = .allocate(capacity: max(1, module.tables.count))
        memoryStruct = .allocate(byteCount: VMMemoryLayout.size, alignment: 16)
        memoryPointers = .allocate(capacity: 1)

        // Type ids: structurally equal types share an id (the first index with that type).
        for (index, type) in module.types.enumerated() {
            typeIDs[index] = UInt64(module.types.firstIndex(of: type)!) + 100
        }
        for index in 0..<module.globals.count {
            globalPointers[index] = UInt64(UInt(bitPattern: globalCells + 16 * index))
        }
        for index in 0..<module.tables.count {
            let count = tableSize
            let table = UnsafeMutableRawPointer.allocate(byteCount: VMTableLayout.size, alignment: 16)
            let elements = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, count))
            elements.initialize(repeating: 0, count: max(1, count))
            table.storeBytes(of: UInt64(UInt(bitPattern: elements)), toByteOffset: VMTableLayout.elements, as: UInt64.self)
            table.storeBytes(of: UInt64(count), toByteOffset: VMTableLayout.length, as: UInt64.self)
            tablePointers[index] = UInt64(UInt(bitPattern: table))
            tables.append(table)
        }
        if memoryPages > 0 || !module.memories.isEmpty {
            // Guard-region layout: reserve 8 GiB, make the memory's pages accessible.
            memoryReservation = 8 << 30
            guard let reservation = mmap(nil, memoryReservation, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                  reservation != MAP_FAILED else { throw POSIXError(.ENOMEM) }
            memory = reservation
            if memoryPages > 0 {
                guard mprotect(reservation, memoryPages << 16, PROT_READ | PROT_WRITE) == 0 else { throw POSIXError(.EACCES) }
            }
        }
        memoryStruct.storeBytes(of: UInt64(UInt(bitPattern: memory)), toByteOffset: VMMemoryLayout.base, as: UInt64.self)
        memoryStruct.storeBytes(of: UInt64(memoryPages << 16), toByteOffset: VMMemoryLayout.length, as: UInt64.self)
        memoryPointers[0] = UInt64(UInt(bitPattern: memoryStruct))

        let contextWords = context.assumingMemoryBound(to: UInt64.self)
        contextWords[VMContextLayout.storeContext / 8] = UInt64(UInt(bitPattern: storeContext))
        contextWords[VMContextLayout.functions / 8] = UInt64(UInt(bitPattern: funcRefs))
        contextWords[VMContextLayout.globals / 8] = UInt64(UInt(bitPattern: globalPointers))
        contextWords[VMContextLayout.tables / 8] = UInt64(UInt(bitPattern: tablePointers))
        contextWords[VMContextLayout.memories / 8] = UInt64(UInt(bitPattern: memoryPointers))
        contextWords[VMContextLayout.typeIDs / 8] = UInt64(UInt(bitPattern: typeIDs))
        contextWords[VMContextLayout.builtins / 8] = UInt64(UInt(bitPattern: builtins))

        // Function references: defined functions point into the code; imports to the host stub
        // with a host context whose dispatcher calls back into `hostFunctions`.
        for index in 0..<functionCount {
            let entry = funcRefs + index * VMFuncRefLayout.size
            let typeIndex: Int
            if index < module.importedFunctionCount {
                typeIndex = Int(importTypeIndex(index))
                let hostContext = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 16)
                hostContext.storeBytes(of: UInt64(UInt(bitPattern: unsafeBitCast(hostDispatcher, to: UnsafeRawPointer.self))),
                                       toByteOffset: VMHostFunctionContextLayout.dispatcher, as: UInt64.self)
                hostContext.storeBytes(of: UInt64(UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())),
                                       toByteOffset: 8, as: UInt64.self)
                hostContext.storeBytes(of: UInt64(index), toByteOffset: 16, as: UInt64.self)
                entry.storeBytes(of: UInt64(UInt(bitPattern: code + Int(compiled.stubs.hostCall))), toByteOffset: VMFuncRefLayout.code, as: UInt64.self)
                entry.storeBytes(of: UInt64(UInt(bitPattern: hostContext)), toByteOffset: VMFuncRefLayout.vmctx, as: UInt64.self)
            } else {
                typeIndex = Int(module.functionTypeIndices[index - module.importedFunctionCount])
                let offset = compiled.codeOffset(ofFunction: UInt32(index))!
                entry.storeBytes(of: UInt64(UInt(bitPattern: code + Int(offset))), toByteOffset: VMFuncRefLayout.code, as: UInt64.self)
                entry.storeBytes(of: UInt64(UInt(bitPattern: context)), toByteOffset: VMFuncRefLayout.vmctx, as: UInt64.self)
            }
            entry.storeBytes(of: typeIDs[typeIndex], toByteOffset: VMFuncRefLayout.typeID, as: UInt64.self)
        }
        JITInstance.install(self)
    }

    deinit {
        JITInstance.uninstall(self)
        munmap(code, codeSize)
        if let memory { munmap(memory, memoryReservation) }
    }

    func importTypeIndex(_ index: Int) -> UInt32 {
        var seen = 0
        for entry in module.imports {
            if case .function(let typeIndex) = entry.descriptor {
                if seen == index { return typeIndex }
                seen += 1
            }
        }
        fatalError("no such import")
    }

    func functionType(_ index: UInt32) -> FunctionType {
        let typeIndex = Int(index) < module.importedFunctionCount
            ? importTypeIndex(Int(index)) : module.functionTypeIndices[Int(index) - module.importedFunctionCount]
        return module.types[Int(typeIndex)]
    }

    /// Sets table `table` element `index` to the funcref of function `function` (nil: null).
    func setTableElement(_ table: Int, _ index: Int, function: UInt32?) {
        let elements = UnsafeMutablePointer<UInt64>(bitPattern: UInt(tables[table].load(fromByteOffset: 0, as: UInt64.self)))!
        elements[index] = function.map { UInt64(UInt(bitPattern: funcRefs + Int($0) * VMFuncRefLayout.size)) } ?? 0
    }

    func global(_ index: Int) -> UInt64 { globalCells.load(fromByteOffset: 16 * index, as: UInt64.self) }
    func setGlobal(_ index: Int, _ value: UInt64) { globalCells.storeBytes(of: value, toByteOffset: 16 * index, as: UInt64.self) }

    enum Outcome: Equatable {
        case values([UInt64])
        case trap(TrapKind)
    }

    typealias EntryFunction = @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, UnsafeMutablePointer<UInt64>?, Int, UnsafeMutableRawPointer?) -> UInt32

    /// Calls function `index` with raw 64-bit argument values.
    func call(_ index: UInt32, _ arguments: [UInt64], stackBudget: Int = 256 << 10) -> Outcome {
        let type = functionType(index)
        // A v128 takes two 8-byte slots (low half first), as an argument and as a result.
        func slots(_ types: [ValueType]) -> Int { types.reduce(0) { $0 + ($1 == .v128 ? 2 : 1) } }
        let slotCount = max(slots(type.parameters), slots(type.results))
        var values = arguments + Array(repeating: 0, count: max(0, slotCount - arguments.count))
        var marker: UInt8 = 0
        let stackPointer = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        storeContext.storeBytes(of: UInt64(stackPointer - UInt(stackBudget)), toByteOffset: VMStoreContextLayout.stackLimit, as: UInt64.self)
        storeContext.storeBytes(of: UInt64(UInt(bitPattern: activation)), toByteOffset: VMStoreContextLayout.activation, as: UInt64.self)
        let entry = unsafeBitCast(code + Int(compiled.stubs.entryTrampoline), to: EntryFunction.self)
        let target = funcRefs.load(fromByteOffset: Int(index) * VMFuncRefLayout.size, as: UnsafeRawPointer.self)
        let calleeContext = funcRefs.load(fromByteOffset: Int(index) * VMFuncRefLayout.size + VMFuncRefLayout.vmctx, as: UnsafeMutableRawPointer.self)
        let status = values.withUnsafeMutableBufferPointer { buffer in
            entry(calleeContext, target, buffer.baseAddress, slotCount, activation)
        }
        if status != 0 { return .trap(TrapKind(rawValue: status)!) }
        // i32/f32 results occupy the low 4 bytes of their slots; the rest is unspecified.
        var results: [UInt64] = []
        var slot = 0
        for result in type.results {
            results.append(result == .i32 || result == .f32 ? values[slot] & 0xFFFF_FFFF : values[slot])
            if result == .v128 { results.append(values[slot + 1]) }
            slot += result == .v128 ? 2 : 1
        }
        return .values(results)
    }

    func callI32(_ index: UInt32, _ arguments: [UInt64]) -> Int32? {
        guard case .values(let values) = call(index, arguments), let first = values.first else { return nil }
        return Int32(truncatingIfNeeded: first)
    }

    func callI64(_ index: UInt32, _ arguments: [UInt64]) -> Int64? {
        guard case .values(let values) = call(index, arguments), let first = values.first else { return nil }
        return Int64(bitPattern: first)
    }

    // MARK: Trap handling (process-wide; JIT tests run serialized)

    nonisolated(unsafe) static var instances: [JITInstance] = []
    static let registryLock = NSLock()
    nonisolated(unsafe) static var previousActions: [Int32: sigaction] = [:]
    nonisolated(unsafe) static var installed = false

    static func install(_ instance: JITInstance) {
        registryLock.lock()
        defer { registryLock.unlock() }
        instances.append(instance)
        guard !installed else { return }
        installed = true
        for signal in [SIGILL, SIGSEGV, SIGBUS] {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = jitSignalHandler
            action.sa_flags = SA_SIGINFO | SA_NODEFER
            var previous = sigaction()
            sigaction(signal, &action, &previous)
            previousActions[signal] = previous
        }
    }

    static func uninstall(_ instance: JITInstance) {
        registryLock.lock()
        defer { registryLock.unlock() }
        instances.removeAll { $0 === instance }
    }

    /// The trap kind for a faulting pc inside one of the loaded images, with that image's
    /// trap-exit address and activation record. (Each instance runs on one thread at a time.)
    static func lookup(pc: UInt) -> (TrapKind, UInt, UnsafeMutableRawPointer)? {
        for instance in instances {
            let base = UInt(bitPattern: instance.code)
            guard pc >= base, pc < base + UInt(instance.compiled.code.count) else { continue }
            guard let kind = instance.compiled.trapKind(atCodeOffset: UInt32(pc - base)) else { return nil }
            return (kind, base + UInt(instance.compiled.stubs.trapExit), instance.activation)
        }
        return nil
    }
}

/// Dispatcher for imported functions: (hostContext, values) -> trap flag. The host context
/// holds the JITInstance at +8 and the function index at +16.
private let hostDispatcher: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> UInt32 = { context, values in
    let instance = Unmanaged<JITInstance>.fromOpaque(context!.load(fromByteOffset: 8, as: UnsafeRawPointer.self)).takeUnretainedValue()
    let index = UInt32(context!.load(fromByteOffset: 16, as: UInt64.self))
    let type = instance.functionType(index)
    let slots = values!.assumingMemoryBound(to: UInt64.self)
    let arguments = (0..<type.parameters.count).map { slots[$0] }
    guard let results = instance.hostFunctions[index]?(arguments) else { return 1 }
    for (position, value) in results.enumerated() { slots[position] = value }
    return 0
}

/// Indices into `mcontext_t.gregs` (glibc x86_64: REG_RAX = 13, REG_RSP = 15, REG_RIP = 16).
private func jitSignalHandler(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ rawContext: UnsafeMutableRawPointer?) {
    let context = rawContext!.assumingMemoryBound(to: ucontext_t.self)
    let handled: Bool = withUnsafeMutablePointer(to: &context.pointee.uc_mcontext.gregs) { gregs in
        gregs.withMemoryRebound(to: Int64.self, capacity: 23) { registers in
            let pc = UInt(bitPattern: Int(registers[16]))
            guard let (kind, trapExit, activation) = JITInstance.lookup(pc: pc) else { return false }
            registers[15] = activation.load(fromByteOffset: VMActivationLayout.entryStackPointer, as: Int64.self)
            registers[13] = Int64(kind.rawValue)
            registers[16] = Int64(Int(bitPattern: trapExit))
            return true
        }
    }
    if handled { return }
    // Not ours: restore the previous disposition and let the instruction fault again.
    if var previous = JITInstance.previousActions[signal] {
        sigaction(signal, &previous, nil)
        JITInstance.installed = false
    }
}
