import WasmCompiler
import WasmFrontEnd

/// Tiered execution of one module: its code is tiered baseline code (`CompilerTier.tiered`);
/// when a function's counter runs out (`VMBuiltin.tierUp`), the function is compiled by the
/// optimising tier into code of its own and its redirect slot is pointed at it, so every caller
/// switches at once; when the counter runs out at a loop header, an on-stack-replacement entry
/// for that loop lets the running activation continue in optimised code.
///
/// Compilation happens on the thread that ran out (synchronously, at most once per function
/// and loop; a function the optimising tier does not take stays in baseline code and is not
/// asked again).
final class TierUp {
    private let platform: any Platform
    private let module: Module
    private var context: ValidationContext?
    private let configuration: CompilerConfiguration
    /// The module's tiering slots (`VMTieringSlotLayout`), one per defined function.
    private let slots: UnsafeMutableRawPointer
    private let trapExit: UnsafeRawPointer
    /// Counter value after each request: the number of entries and loop iterations before the
    /// function asks again.
    let threshold: Int64
    private var optimized: [UnsafeRawPointer?]
    /// The optimising tier refused the function; baseline code it stays.
    private var refused: [Bool]
    /// On-stack-replacement entries by `definedIndex << 32 | loopOffset` (nil: refused).
    private var osrEntries: [UInt64: UnsafeRawPointer?] = [:]
    /// Every piece of code compiled here, with the function it belongs to.
    private(set) var compiled: [(code: CodeMemory, functionIndex: UInt32)] = []

    init(platform: any Platform, module: Module, configuration: CompilerConfiguration, slots: UnsafeMutableRawPointer,
         trapExit: UnsafeRawPointer, threshold: Int64) {
        self.platform = platform
        self.module = module
        var optimizing = configuration
        optimizing.tier = .optimizing
        self.configuration = optimizing
        self.slots = slots
        self.trapExit = trapExit
        self.threshold = max(threshold, 0)
        optimized = Array(repeating: nil, count: module.functionBodies.count)
        refused = Array(repeating: false, count: module.functionBodies.count)
        for index in 0..<module.functionBodies.count { setCounter(index, self.threshold) }
    }

    private func setCounter(_ definedIndex: Int, _ value: Int64) {
        (slots + definedIndex * VMTieringSlotLayout.size + VMTieringSlotLayout.counter).storeBytes(of: value, as: Int64.self)
    }

    /// `VMBuiltin.tierUp`: the address of an on-stack-replacement entry for `loop`, or nil.
    func request(definedIndex: Int, loop: UInt32) -> UnsafeRawPointer? {
        guard definedIndex >= 0, definedIndex < optimized.count else { return nil }
        setCounter(definedIndex, threshold)
        if optimized[definedIndex] == nil && !refused[definedIndex] { optimize(definedIndex) }
        guard loop != VMTieringSlotLayout.functionEntry, !refused[definedIndex] else { return nil }
        let key = UInt64(definedIndex) << 32 | UInt64(loop)
        if let entry = osrEntries[key] { return entry }
        let entry = compile(definedIndex, osrLoopOffset: loop)
        osrEntries[key] = entry
        return entry
    }

    /// Compiles the function and points its redirect slot at the new code.
    private func optimize(_ definedIndex: Int) {
        guard let entry = compile(definedIndex, osrLoopOffset: nil) else {
            refused[definedIndex] = true
            return
        }
        optimized[definedIndex] = entry
        // One aligned 8-byte store: a concurrent caller sees the old or the new entry.
        (slots + definedIndex * VMTieringSlotLayout.size + VMTieringSlotLayout.redirect)
            .storeBytes(of: UInt64(UInt(bitPattern: entry)), as: UInt64.self)
    }

    private func compile(_ definedIndex: Int, osrLoopOffset: UInt32?) -> UnsafeRawPointer? {
        if context == nil { context = try? ValidationContext(validating: module) }
        guard let context else { return nil }
        let code: TierUpCode
        do throws(WasmError) {
            code = try compileTierUp(module: module, context: context, configuration: configuration,
                                     definedIndex: definedIndex, osrLoopOffset: osrLoopOffset)
        } catch {
            return nil
        }
        var image = CodeImage()
        image.code = code.code
        image.functionOffsets = [0]
        image.functionSizes = [code.code.count]
        image.trapSites = code.trapSites.map { CodeImage.TrapSite(offset: $0.codeOffset, kind: $0.kind) }
        guard let memory = CodeMemory(platform: platform, image: image, trapExit: trapExit) else { return nil }
        compiled.append((memory, UInt32(context.importedFunctionCount + definedIndex)))
        return memory.address(0)
    }

    /// Whether the function runs optimised code now (tests, `apus inspect`).
    func isOptimized(definedIndex: Int) -> Bool {
        definedIndex >= 0 && definedIndex < optimized.count && optimized[definedIndex] != nil
    }

    /// Number of on-stack-replacement entries compiled.
    var osrEntryCount: Int { osrEntries.values.filter { $0 != nil }.count }
}

/// (vmctx, definedFunction, loop) -> UInt64: see `VMBuiltin.tierUp`.
func tierUpBuiltin(_ vmctx: UnsafeMutableRawPointer, _ definedIndex: UInt32, _ loop: UInt32) -> UInt64 {
    guard let tierUp = InstanceEntity.from(vmctx: vmctx).module.tierUp,
          let entry = tierUp.request(definedIndex: Int(definedIndex), loop: loop)
    else { return 0 }
    return UInt64(UInt(bitPattern: entry))
}
