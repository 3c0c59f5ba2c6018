import WasmFrontEnd

/// The x86_64 baseline code generator: turns validated instructions into machine code in a
/// single pass, in the style of V8 Liftoff / Wasmtime Winch.
///
/// Value stack: every operand is tracked as an abstract `StackEntry` that is in a register, a
/// constant, or spilled to its own frame slot (slot i belongs to stack position i).
/// Registers come from a free pool and are spilled bottom-up under pressure. Locals live in
/// frame slots; `local.get` loads a copy into a register, so operands never alias locals.
/// i32 values in registers are kept zero-extended (every i32 operation uses 32-bit forms).
///
/// Merge convention: at every control-flow boundary (block/loop/if entry, else, end, branches)
/// and at every call all operands are spilled, so a label's state is always "positions below
/// the label's base and its carried values are in their slots". Branches move the carried
/// values to the target's slots.
///
/// Frame (rbp-relative):
/// ```
///   [rbp + 16 + 8*i]   argument / result slot i (reserved by the caller; a v128 takes two)
///   [rbp + 8]          return address
///   [rbp]              caller's rbp
///   [rbp - 8]          saved VMContext (r15)
///   [rbp - 16]         reserved (zeroed by the prologue)
///   [rbp - 16 - S*(j+1)] declared local j (parameters live in their argument slots)
///   below              value-stack slots (S bytes each), then the outgoing argument area at [rsp]
/// ```
/// S, the size of a local or value-stack slot, is 8 bytes, or 16 (16-byte aligned) in modules
/// that use v128 values. rsp stays 16-byte aligned for the whole body, so calls need no
/// adjustment.
///
/// Scratch registers never allocated: r11 and xmm15. Pinned: r15 (VMContext), r14 (memory-0
/// base), rbp, rsp.
struct X64CodeGenerator {
    var assembler = X64Assembler()
    var trapSites: [TrapSite] = []
    let configuration: CompilerConfiguration
    let module: Module
    let context: ValidationContext
    /// The first implementation-limit error (unsupported instruction, frame too large).
    var deferredError: WasmError?
    /// Entry labels of the defined functions (index: function index − imported count).
    var functionLabels: [X64Label] = []
    /// Tiered code: the start of the tiering slots (`VMTieringSlotLayout`), bound after the code.
    var tieringData: X64Label?
    /// Tiered code: where each compiled function's body starts after its redirect jump.
    var baselineBodyOffsets: [UInt32] = []
    /// Tier-up calls of the current function, emitted after its body.
    var tierUpStubs: [TierUpStub] = []
    /// Code compiled on its own at tier-up (`compileTierUp`): other functions are not in this
    /// buffer, so calls go through `VMContext.functions` (and from there through the callee's
    /// redirect to its best code). An on-stack-replacement entry calls even itself that way.
    var callsThroughFunctionTable = false
    var compilingOSREntry = false

    // Per-function state -------------------------------------------------------------------
    var stack: [StackEntry] = []
    var frames: [ControlFrame] = []
    var freeGPRs: UInt16 = 0
    var freeXMMs: UInt16 = 0
    /// Whether the code being emitted can execute (false after br/return/unreachable).
    var reachable = true
    var parameterCount = 0
    var parameterTypes: [ValueType] = []
    var functionResults: [ValueType] = []
    var localRuns: [LocalRun] = []
    /// One past the last local index (parameters included) of each run.
    var localRunEnds: [Int] = []
    var declaredLocalCount = 0
    var maxStackHeight = 0
    var maxOutgoingSlots = 0
    /// Positions of 32-bit fields that receive the frame size at the end of the function.
    var frameSizePatches: [Int] = []
    /// Out-of-line `ud2` per trap kind (index: raw value), created on first use.
    var trapLabels: [X64Label?] = []
    var builtinTrapDispatch: X64Label?
    var functionIndex: UInt32 = 0
    /// Whether a function type or global of the module is v128: then every function may hold
    /// v128 values (passed, returned, loaded from globals) without a SIMD instruction.
    let moduleHasVectorTypes: Bool
    /// Bytes of a local or value-stack slot in the current function: 16 when it can hold v128
    /// values, else 8 (set per function by `compileFunction`).
    var slotBytes = 8
    /// The first 8-byte argument slot of each parameter (a v128 takes two).
    var parameterSlots: [Int] = []
    /// Set while the optimising tier bridges a memory access to these emitters: its IR already
    /// holds the explicit bounds checks the configuration needs, so `memoryOperand` adds none
    /// (except for static offsets beyond the guard region, which it must add to the address).
    var boundsCheckedByIR = false
    /// Registers the optimising tier's bridge lends when its pool runs out (a vector sequence
    /// may need more temporaries than the pool has): each is saved to a frame slot when first
    /// taken and restored after the bridged instruction (`borrowedXMMs`).
    var lendableXMMs: [X64XMM] = []
    var borrowedXMMs: [(register: X64XMM, save: X64Memory)] = []

    static let allocatableGPRs: [X64GPR] = [.rax, .rcx, .rdx, .rbx, .rsi, .rdi, .r8, .r9, .r10, .r12, .r13]
    static let allocatableXMMs: [X64XMM] = [.xmm0, .xmm1, .xmm2, .xmm3, .xmm4, .xmm5, .xmm6, .xmm7,
                                            .xmm8, .xmm9, .xmm10, .xmm11, .xmm12, .xmm13, .xmm14]
    static let scratch: X64GPR = .r11
    static let scratchXMM: X64XMM = .xmm15
    static let contextRegister: X64GPR = .r15
    static let memoryBaseRegister: X64GPR = .r14
    /// Frame offset of the saved VMContext.
    static let savedContextOffset: Int32 = -8
    /// Locals start below this many bytes of fixed frame.
    static let fixedFrameBytes = 16
    /// Implementation limit on the frame (locals, operand slots and outgoing slots).
    static let maximumFrameBytes = 1 << 24

    enum Location: Equatable {
        case gpr(X64GPR)
        case xmm(X64XMM)
        /// A constant's bits (floats by bit pattern, i32 zero-extended).
        case constant(UInt64)
        /// In the entry's own frame slot.
        case spilled
    }

    struct StackEntry {
        var type: ValueType
        var location: Location
    }

    enum FrameKind { case function, block, loop, `if` }

    struct ControlFrame {
        var kind: FrameKind
        /// Branch target: bound at the loop head, or at the end of a block/if.
        var label: X64Label
        /// For an `if`: where the false condition jumps (bound at `else`, or at `end`).
        var elseLabel: X64Label?
        /// Stack height below the block parameters.
        var base: Int
        var parameters: [ValueType]
        var results: [ValueType]
        var reachableAtEntry: Bool

        /// Types a branch to this frame carries.
        var branchTypes: [ValueType] { kind == .loop ? parameters : results }
    }

    init(configuration: CompilerConfiguration, module: Module, context: ValidationContext) {
        self.configuration = configuration
        self.module = module
        self.context = context
        moduleHasVectorTypes = context.types.contains { $0.parameters.contains(.v128) || $0.results.contains(.v128) }
            || context.globals.contains { $0.valueType == .v128 }
    }

    /// Whether `body` can hold a v128 value: the module has v128 types, the body has v128
    /// locals, or it contains a SIMD prefix byte (a conservative byte scan: an immediate that
    /// happens to be 0xFD only costs larger slots in that function).
    func usesVectors(_ body: FunctionBody) -> Bool {
        moduleHasVectorTypes || body.locals.contains { $0.type == .v128 } || module.bytes[body.code].contains(0xFD)
    }


    var features: X64CPUFeatures { configuration.cpuFeatures }
    var hasMemory: Bool { !context.memories.isEmpty }

    // MARK: Errors

    func limitError(_ message: String, at offset: Int) -> WasmError {
        WasmError.invalid(message, at: offset, function: functionIndex)
    }

    /// `index * scale + base` as a 32-bit displacement, or an implementation-limit error.
    func displacement(_ index: UInt32, scale: Int, plus base: Int = 0, at offset: Int) throws(WasmError) -> Int32 {
        let value = Int(index) * scale + base
        guard value <= Int(Int32.max) else { throw limitError("index too large for this implementation", at: offset) }
        return Int32(value)
    }

    // MARK: Frame layout

    func localAddress(_ index: Int) -> X64Memory {
        if index < parameterCount {
            return .at(.rbp, Int32(16 + 8 * parameterSlots[index]))
        }
        return .at(.rbp, Int32(-(Self.fixedFrameBytes + slotBytes * (index - parameterCount + 1))))
    }

    func slotAddress(_ position: Int) -> X64Memory {
        .at(.rbp, Int32(-(Self.fixedFrameBytes + slotBytes * declaredLocalCount + slotBytes * (position + 1))))
    }

    /// Byte `byte` of the slot of stack position `position`.
    func slotAddress(_ position: Int, byte: Int) -> X64Memory {
        var address = slotAddress(position)
        address.displacement += Int32(byte)
        return address
    }

    // MARK: Registers

    mutating func resetRegisters() {
        freeGPRs = 0
        for register in Self.allocatableGPRs { freeGPRs |= 1 << UInt16(register.rawValue) }
        freeXMMs = 0
        for register in Self.allocatableXMMs { freeXMMs |= 1 << UInt16(register.rawValue) }
    }

    func isFree(_ register: X64GPR) -> Bool { freeGPRs & (1 << UInt16(register.rawValue)) != 0 }

    mutating func markUsed(_ register: X64GPR) { freeGPRs &= ~(1 << UInt16(register.rawValue)) }
    mutating func markUsed(_ register: X64XMM) { freeXMMs &= ~(1 << UInt16(register.rawValue)) }
    mutating func release(_ register: X64GPR) {
        if Self.allocatableGPRs.contains(register) { freeGPRs |= 1 << UInt16(register.rawValue) }
    }
    mutating func release(_ register: X64XMM) {
        if register != Self.scratchXMM { freeXMMs |= 1 << UInt16(register.rawValue) }
    }

    /// Releases the register an operand held, if any.
    mutating func release(_ entry: StackEntry) {
        switch entry.location {
        case .gpr(let register): release(register)
        case .xmm(let register): release(register)
        default: break
        }
    }

    /// A free general-purpose register, spilling the lowest register-held operand if none is.
    mutating func allocateGPR(excluding excluded: UInt16 = 0) -> X64GPR {
        while true {
            for register in Self.allocatableGPRs where freeGPRs & ~excluded & (1 << UInt16(register.rawValue)) != 0 {
                markUsed(register)
                return register
            }
            guard let position = stack.firstIndex(where: {
                if case .gpr(let register) = $0.location, excluded & (1 << UInt16(register.rawValue)) == 0 { return true }
                return false
            }) else { preconditionFailure("no general-purpose register can be freed") }
            spill(position)
        }
    }

    mutating func allocateXMM() -> X64XMM {
        while true {
            for register in Self.allocatableXMMs where freeXMMs & (1 << UInt16(register.rawValue)) != 0 {
                markUsed(register)
                return register
            }
            guard let position = stack.firstIndex(where: { if case .xmm = $0.location { return true } else { return false } }) else {
                guard let register = lendableXMMs.popLast() else { preconditionFailure("no vector register can be freed") }
                let save = reserveSlot(Self.bridgeSaveSlotBase + borrowedXMMs.count)
                assembler.movdqu(save, register)
                borrowedXMMs.append((register, save))
                return register
            }
            spill(position)
        }
    }

    /// Makes `register` free: an operand holding it moves to another register (or its slot).
    mutating func evict(_ register: X64GPR) {
        guard let position = stack.firstIndex(where: { $0.location == .gpr(register) }) else { return }
        if freeGPRs & ~(1 << UInt16(register.rawValue)) != 0 {
            let target = allocateGPR(excluding: 1 << UInt16(register.rawValue))
            assembler.mov(.bits64, target, register)
            stack[position].location = .gpr(target)
            release(register)
        } else {
            spill(position)
        }
    }

    // MARK: Value stack

    mutating func push(_ type: ValueType, _ location: Location) {
        stack.append(StackEntry(type: type, location: location))
        if stack.count > maxStackHeight { maxStackHeight = stack.count }
    }

    mutating func pushGPR(_ type: ValueType, _ register: X64GPR) { push(type, .gpr(register)) }
    mutating func pushXMM(_ type: ValueType, _ register: X64XMM) { push(type, .xmm(register)) }

    /// Removes the top operand; a register it holds stays reserved until released.
    mutating func pop() -> StackEntry {
        stack.removeLast()
    }

    /// Stores the operand at `position` to its slot and frees its register.
    mutating func spill(_ position: Int) {
        let entry = stack[position]
        guard entry.location != .spilled else { return }
        store(entry, to: slotAddress(position))
        release(entry)
        stack[position].location = .spilled
    }

    mutating func spillAll() {
        for position in stack.indices { spill(position) }
    }

    /// Writes an operand's full 8-byte value to memory (a slot, a local or an argument slot).
    /// A spilled operand at `position` is copied through the scratch register.
    mutating func store(_ entry: StackEntry, to address: X64Memory, position: Int? = nil) {
        switch entry.location {
        case .gpr(let register):
            assembler.mov(.bits64, address, register)
        case .xmm(let register):
            if entry.type == .v128 {
                assembler.movdqu(address, register)
            } else {
                assembler.movFloat(entry.type == .f32 ? .single : .double, address, register)
            }
        case .constant(let bits):
            if Int64(bitPattern: bits) >= Int64(Int32.min) && Int64(bitPattern: bits) <= Int64(Int32.max) {
                assembler.mov(.bits64, address, immediate: Int32(truncatingIfNeeded: bits))
            } else {
                assembler.movImmediate(.bits64, Self.scratch, bits)
                assembler.mov(.bits64, address, Self.scratch)
            }
        case .spilled:
            guard let position else { preconditionFailure("spilled operand without a position") }
            let source = slotAddress(position)
            if source != address {
                if entry.type == .v128 {
                    assembler.movdqu(Self.scratchXMM, source)
                    assembler.movdqu(address, Self.scratchXMM)
                } else {
                    assembler.mov(.bits64, Self.scratch, source)
                    assembler.mov(.bits64, address, Self.scratch)
                }
            }
        }
    }

    static func size(of type: ValueType) -> X64OperandSize { type == .i32 ? .bits32 : .bits64 }

    /// Puts an integer/reference operand in a register (the one it is in, or a new one not in
    /// `excluded`). `position` is its former stack position (needed for spilled operands).
    mutating func materializeGPR(_ entry: StackEntry, position: Int, excluding excluded: UInt16 = 0) -> X64GPR {
        switch entry.location {
        case .gpr(let register):
            if excluded & (1 << UInt16(register.rawValue)) == 0 { return register }
            let target = allocateGPR(excluding: excluded)
            assembler.mov(.bits64, target, register)
            release(register)
            return target
        case .constant(let bits):
            let register = allocateGPR(excluding: excluded)
            assembler.movImmediate(Self.size(of: entry.type), register, bits)
            return register
        case .spilled:
            let register = allocateGPR(excluding: excluded)
            assembler.mov(Self.size(of: entry.type), register, slotAddress(position))
            return register
        case .xmm:
            preconditionFailure("integer operand in a vector register")
        }
    }

    /// Pops the top operand into a general-purpose register.
    mutating func popGPR(excluding excluded: UInt16 = 0) -> X64GPR {
        let position = stack.count - 1
        let entry = pop()
        return materializeGPR(entry, position: position, excluding: excluded)
    }

    /// Pops the top operand into exactly `register` (evicting any other operand there first).
    mutating func popGPR(into register: X64GPR) -> X64GPR {
        let position = stack.count - 1
        let entry = pop()
        if entry.location == .gpr(register) { return register }
        evict(register)
        switch entry.location {
        case .gpr(let source):
            assembler.mov(.bits64, register, source)
            release(source)
        case .constant(let bits):
            assembler.movImmediate(Self.size(of: entry.type), register, bits)
        case .spilled:
            assembler.mov(Self.size(of: entry.type), register, slotAddress(position))
        case .xmm:
            preconditionFailure("integer operand in a vector register")
        }
        markUsed(register)
        return register
    }

    mutating func materializeXMM(_ entry: StackEntry, position: Int) -> X64XMM {
        switch entry.location {
        case .xmm(let register):
            return register
        case .constant(let bits):
            let register = allocateXMM()
            loadFloatConstant(register, bits, entry.type)
            return register
        case .spilled:
            let register = allocateXMM()
            if entry.type == .v128 {
                assembler.movdqu(register, slotAddress(position))
            } else {
                assembler.movFloat(entry.type == .f32 ? .single : .double, register, slotAddress(position))
            }
            return register
        case .gpr:
            preconditionFailure("float operand in a general-purpose register")
        }
    }

    mutating func popXMM() -> X64XMM {
        let position = stack.count - 1
        let entry = pop()
        return materializeXMM(entry, position: position)
    }

    mutating func loadFloatConstant(_ register: X64XMM, _ bits: UInt64, _ type: ValueType) {
        if bits == 0 {
            assembler.floatBitwise(.xor, .single, register, register)
        } else {
            assembler.movImmediate(.bits64, Self.scratch, bits)
            assembler.movToXMM(type == .f32 ? .bits32 : .bits64, register, Self.scratch)
        }
    }

    /// Pops any operand into a register of its class; returns the entry as it was and its
    /// register.
    mutating func popToRegister() -> (StackEntry, Location) {
        let entry = stack[stack.count - 1]
        if entry.type == .f32 || entry.type == .f64 || entry.type == .v128 {
            return (entry, .xmm(popXMM()))
        }
        return (entry, .gpr(popGPR()))
    }

    /// Loads 8 bytes (or the type's width) from memory into a new register of the type's class.
    mutating func pushLoaded(_ type: ValueType, from address: X64Memory) {
        switch type {
        case .v128:
            let register = allocateXMM()
            assembler.movdqu(register, address)
            pushXMM(type, register)
        case .f32, .f64:
            let register = allocateXMM()
            assembler.movFloat(type == .f32 ? .single : .double, register, address)
            pushXMM(type, register)
        default:
            let register = allocateGPR()
            assembler.mov(Self.size(of: type), register, address)
            pushGPR(type, register)
        }
    }

    // MARK: Traps

    /// The out-of-line trap instruction of `kind` in the current function.
    mutating func trapLabel(_ kind: TrapKind) -> X64Label {
        let index = Int(kind.rawValue)
        if let label = trapLabels[index] { return label }
        let label = assembler.newLabel()
        trapLabels[index] = label
        return label
    }

    /// Records that the next instruction may fault in the guard region.
    mutating func recordTrapSite(_ kind: TrapKind) {
        trapSites.append(TrapSite(codeOffset: UInt32(assembler.offset), kind: kind))
    }

    /// Emits the function's out-of-line traps: one `ud2` per kind used, recorded in the table.
    mutating func emitTrapStubs() {
        if let dispatch = builtinTrapDispatch {
            // eax holds a trap kind returned by a builtin: route it to the matching trap site.
            assembler.bind(dispatch)
            for kind in Self.allTrapKinds {
                assembler.alu(.cmp, .bits32, .rax, immediate: Int32(kind.rawValue))
                assembler.jcc(.equal, trapLabel(kind))
            }
            assembler.jmp(trapLabel(.hostTrap))
        }
        for (index, label) in trapLabels.enumerated() {
            guard let label, let kind = TrapKind(rawValue: UInt32(index)) else { continue }
            assembler.bind(label)
            recordTrapSite(kind)
            assembler.ud2()
        }
    }

    static let allTrapKinds: [TrapKind] = [
        .unreachable, .memoryOutOfBounds, .tableOutOfBounds, .integerDivideByZero, .integerOverflow,
        .invalidConversionToInteger, .indirectCallTypeMismatch, .undefinedElement, .uninitializedElement,
        .callStackExhausted, .hostTrap,
    ]

    // MARK: Context reloads

    /// Reloads r15 from the frame and r14 (memory-0 base) from the context, after any call.
    mutating func reloadContext() {
        assembler.mov(.bits64, Self.contextRegister, .at(.rbp, Self.savedContextOffset))
        reloadMemoryBase()
    }

    mutating func reloadMemoryBase() {
        guard hasMemory else { return }
        assembler.mov(.bits64, Self.memoryBaseRegister, .at(Self.contextRegister, Int32(VMContextLayout.memories)))
        assembler.mov(.bits64, Self.memoryBaseRegister, .at(Self.memoryBaseRegister, 0))
        assembler.mov(.bits64, Self.memoryBaseRegister, .at(Self.memoryBaseRegister, Int32(VMMemoryLayout.base)))
    }
}
