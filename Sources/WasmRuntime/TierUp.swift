import WasmCompiler
import WasmFrontEnd

/// Tiered execution of one module: its code is tiered baseline code (`CompilerTier.tiered`);
/// when a function's counter runs out (`VMBuiltin.tierUp`), the function is compiled by the
/// optimising tier into code of its own and its redirect slot is pointed at it, so every caller
/// switches at once; when the counter runs out at a loop header, an on-stack-replacement entry
/// for that loop lets the running activation continue in optimised code.
///
/// With a threshold above zero the compilation runs in the background
/// (`Platform.runInBackground`: a compile thread hosted, a compile task in the kernel) while the
/// program goes on in baseline code; a loop picks up its entry at a later header. With a zero
/// threshold (and on platforms without background work) the thread that ran out compiles at
/// once, so every function and loop is optimised at its first entry — what the tests use.
/// Each function and loop is compiled at most once; one the optimising tier refuses stays in
/// baseline code and is not asked again.
final class TierUp {
    private let platform: any Platform
    private let module: Module
    private var context: ValidationContext?
    private let configuration: CompilerConfiguration
    /// The module's code: kept alive while background work may still write its slots.
    private let baselineCode: CodeMemory
    /// The module's tiering slots (`VMTieringSlotLayout`), one per defined function.
    private let slots: UnsafeMutableRawPointer
    private let trapExit: UnsafeRawPointer
    /// Counter value after each request: the number of entries and loop iterations before the
    /// function asks again.
    let threshold: Int64
    private let background: Bool

    // Guarded by the platform's background-state lock.
    private var optimized: [UnsafeRawPointer?]
    /// The optimising tier refused the function; baseline code it stays.
    private var refused: [Bool]
    private var queued: [Bool]
    /// On-stack-replacement entries by `definedIndex << 32 | loopOffset` (nil: refused or not
    /// compiled yet, see `osrQueued`).
    private var osrEntries: [UInt64: UnsafeRawPointer?] = [:]
    private var osrQueued: Set<UInt64> = []
    /// Every piece of code compiled here, with the function it belongs to.
    private var compiled: [(code: CodeMemory, functionIndex: UInt32)] = []
    private var pendingWork = 0

    init(platform: any Platform, module: Module, configuration: CompilerConfiguration, code: CodeMemory,
         slots: UnsafeMutableRawPointer, trapExit: UnsafeRawPointer, threshold: Int64, background: Bool) {
        self.platform = platform
        self.module = module
        var optimizing = configuration
        optimizing.tier = .optimizing
        self.configuration = optimizing
        baselineCode = code
        self.slots = slots
        self.trapExit = trapExit
        self.threshold = max(threshold, 0)
        self.background = background && threshold > 0
        optimized = Array(repeating: nil, count: module.functionBodies.count)
        refused = Array(repeating: false, count: module.functionBodies.count)
        queued = Array(repeating: false, count: module.functionBodies.count)
        for index in 0..<module.functionBodies.count { setCounter(index, self.threshold) }
    }

    private func setCounter(_ definedIndex: Int, _ value: Int64) {
        (slots + definedIndex * VMTieringSlotLayout.size + VMTieringSlotLayout.counter).storeBytes(of: value, as: Int64.self)
    }

    private func locked<T>(_ body: () -> T) -> T {
        platform.lockBackgroundState()
        defer { platform.unlockBackgroundState() }
        return body()
    }

    /// `VMBuiltin.tierUp`: the address of an on-stack-replacement entry for `loop`, or nil.
    func request(definedIndex: Int, loop: UInt32) -> UnsafeRawPointer? {
        guard definedIndex >= 0, definedIndex < module.functionBodies.count else { return nil }
        setCounter(definedIndex, threshold)
        let key = UInt64(definedIndex) << 32 | UInt64(loop)
        let isLoop = loop != VMTieringSlotLayout.functionEntry
        // What to compile (under the lock), then compile it here or in the background.
        var work: [UInt32?] = []
        let known: UnsafeRawPointer?? = locked {
            if optimized[definedIndex] == nil && !refused[definedIndex] && !queued[definedIndex] {
                queued[definedIndex] = true
                work.append(nil)
            }
            guard isLoop else { return .some(nil) }
            if let entry = osrEntries[key] { return .some(entry) }
            if !osrQueued.contains(key) {
                osrQueued.insert(key)
                work.append(loop)
            }
            return nil
        }
        if work.isEmpty { return known ?? nil }
        if background {
            locked { pendingWork += 1 }
            let submitted = platform.runInBackground { [self] in
                for item in work { compileAndInstall(definedIndex, osrLoopOffset: item) }
                locked { pendingWork -= 1 }
            }
            if submitted { return known ?? nil }
            locked { pendingWork -= 1 }
        }
        for item in work { compileAndInstall(definedIndex, osrLoopOffset: item) }
        guard isLoop else { return nil }
        return locked { osrEntries[key] ?? nil }
    }

    /// Compiles the function (and points its redirect slot at the new code) or an
    /// on-stack-replacement entry for one of its loops.
    private func compileAndInstall(_ definedIndex: Int, osrLoopOffset: UInt32?) {
        let skip = locked { osrLoopOffset != nil && refused[definedIndex] }
        let entry = skip ? nil : compile(definedIndex, osrLoopOffset: osrLoopOffset)
        locked {
            if let loop = osrLoopOffset {
                osrEntries[UInt64(definedIndex) << 32 | UInt64(loop)] = entry
                return
            }
            guard let entry else {
                refused[definedIndex] = true
                return
            }
            optimized[definedIndex] = entry
            // One aligned 8-byte store: a concurrent caller sees the old or the new entry.
            (slots + definedIndex * VMTieringSlotLayout.size + VMTieringSlotLayout.redirect)
                .storeBytes(of: UInt64(UInt(bitPattern: entry)), as: UInt64.self)
        }
    }

    private func compile(_ definedIndex: Int, osrLoopOffset: UInt32?) -> UnsafeRawPointer? {
        let context = locked { () -> ValidationContext? in
            if self.context == nil { self.context = try? ValidationContext(validating: module) }
            return self.context
        }
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
        let functionIndex = UInt32(context.importedFunctionCount + definedIndex)
        locked { compiled.append((memory, functionIndex)) }
        return memory.address(0)
    }

    /// The function whose tier-up code contains `pc`, with the code's start.
    func function(containing pc: UInt) -> (functionIndex: UInt32, start: UInt)? {
        locked {
            for (code, functionIndex) in compiled where code.contains(pc) {
                return (functionIndex, UInt(bitPattern: code.base))
            }
            return nil
        }
    }

    /// Whether the function runs optimised code now (tests, tools).
    func isOptimized(definedIndex: Int) -> Bool {
        locked { definedIndex >= 0 && definedIndex < optimized.count && optimized[definedIndex] != nil }
    }

    /// Number of on-stack-replacement entries compiled.
    var osrEntryCount: Int { locked { osrEntries.values.filter { $0 != nil }.count } }

    /// Whether background compilation is still queued or running.
    var isCompiling: Bool { locked { pendingWork > 0 } }
}

/// (vmctx, definedFunction, loop) -> UInt64: see `VMBuiltin.tierUp`.
func tierUpBuiltin(_ vmctx: UnsafeMutableRawPointer, _ definedIndex: UInt32, _ loop: UInt32) -> UInt64 {
    guard let tierUp = InstanceEntity.from(vmctx: vmctx).module.tierUp,
          let entry = tierUp.request(definedIndex: Int(definedIndex), loop: loop)
    else { return 0 }
    return UInt64(UInt(bitPattern: entry))
}
