/// A function signature over the generator's value types.
public struct DiffSignature: Equatable {
    public var parameters: [DiffType]
    public var results: [DiffType]

    public var description: String {
        "(" + parameters.map(\.name).joined(separator: " ") + ") -> (" + results.map(\.name).joined(separator: " ") + ")"
    }
}

/// A generated module and the functions to call on it.
public struct GeneratedModule {
    public var bytes: [UInt8]
    /// Exported entry points ("e0", "e1", …) with their signatures.
    public var exports: [(name: String, signature: DiffSignature)]
}

/// Generates random valid WebAssembly modules, type-directed so that every module validates.
///
/// Termination is by construction: loops are counted by a dedicated local that only branches to
/// the loop decrement (its own back edge, or a `continue` from a loop nested in it); calls spend
/// a global fuel counter that each exported entry refills, so call depth (direct and indirect, recursion included) is bounded.
/// NaN payloads are nondeterministic in the spec, so every float whose bits become observable
/// (reinterpret, store, copysign sign source) is canonicalised first; v128 lanes are canonicalised
/// where float lane arithmetic produces them (ModuleGenerator+SIMD.swift).
public struct ModuleGenerator {
    var rng: SplitMix64
    /// The share of generated functions that use v128 (0 to 1).
    let simdShare: Double
    var types: [DiffSignature] = []
    private var functionTypes: [Int] = []
    private var bodies: [[UInt8]] = []
    var globalTypes: [DiffType] = []
    private var tableSize = 0
    private var generatedCount = 0
    /// Which generated functions use v128 (locals, SIMD instructions, maybe v128 in their type).
    private var simdFunctions: [Bool] = []
    /// Whether v128 may appear in function types, globals and multi-value block types. These are
    /// module-wide: they give every baseline function of the module 16-byte slots, so only some
    /// SIMD modules have them.
    var moduleVectorTypes = false
    static let fuel: Int64 = 64
    static let memoryExport = "memory"
    static let maxPages = 3
    public static let defaultSIMDShare = 0.25

    public init(seed: UInt64, simdShare: Double = ModuleGenerator.defaultSIMDShare) {
        rng = SplitMix64(seed: seed)
        self.simdShare = simdShare
    }

    /// The module for `seed`.
    public static func generate(seed: UInt64, simdShare: Double = ModuleGenerator.defaultSIMDShare) -> GeneratedModule {
        var generator = ModuleGenerator(seed: seed, simdShare: simdShare)
        return generator.generate()
    }

    mutating func generate() -> GeneratedModule {
        generatedCount = 1 + rng.below(5)
        chooseSIMDFunctions()
        for index in 0..<generatedCount {
            functionTypes.append(typeIndex(randomSignature(vectors: simdFunctions[index] && moduleVectorTypes)))
        }
        globalTypes = [.i32] + (0..<(1 + rng.below(4))).map { _ in randomType(vectors: moduleVectorTypes) }
        tableSize = 1 + rng.below(6)
        for index in 0..<generatedCount { bodies.append(functionBody(index)) }
        var exports: [(name: String, signature: DiffSignature)] = []
        for index in 0..<generatedCount {
            let signature = types[functionTypes[index]]
            let entry = DiffSignature(parameters: signature.parameters.flatMap(ModuleGenerator.hostTypes),
                                      results: signature.results.flatMap(ModuleGenerator.hostTypes))
            functionTypes.append(typeIndex(entry))
            bodies.append(entryBody(calling: index, signature))
            exports.append((name: "e" + String(index), signature: entry))
        }
        return GeneratedModule(bytes: encode(exports: exports), exports: exports)
    }

    /// Share 0 draws nothing here, so it generates exactly the modules of the scalar-only generator.
    private mutating func chooseSIMDFunctions() {
        simdFunctions = Array(repeating: false, count: generatedCount)
        guard simdShare > 0 else { return }
        simdFunctions = (0..<generatedCount).map { _ in rng.chance(simdShare) }
        moduleVectorTypes = simdFunctions.contains(true) && rng.chance(1, 2)
    }

    /// What a value of `type` is at the host boundary: hosts exchange scalars only, so a v128
    /// crosses as its two i64 halves (low first).
    static func hostTypes(_ type: DiffType) -> [DiffType] { type == .v128 ? [.i64, .i64] : [type] }

    /// An entry point: refills the fuel, then calls generated function `index` with its arguments
    /// (a v128 assembled from two i64 parameters) and returns its results (a v128 split in two).
    private func entryBody(calling index: Int, _ signature: DiffSignature) -> [UInt8] {
        var body = ByteWriter()
        // Results are parked in locals (after the parameters) when one needs splitting.
        let parked = signature.results.contains(.v128) ? signature.results : []
        body.unsigned(parked.count)
        for type in parked { body.unsigned(1); body.byte(type.rawValue) }
        body.byte(0x41); body.signed(ModuleGenerator.fuel); body.byte(0x24); body.unsigned(0)
        var parameter = 0
        for type in signature.parameters {
            body.byte(0x20); body.unsigned(parameter)
            if type == .v128 {
                body.simd(0x12)  // i64x2.splat
                body.byte(0x20); body.unsigned(parameter + 1)
                body.simd(0x1E); body.byte(1)  // i64x2.replace_lane 1
            }
            parameter += ModuleGenerator.hostTypes(type).count
        }
        body.byte(0x10); body.unsigned(index)
        for local in (parameter..<(parameter + parked.count)).reversed() { body.byte(0x21); body.unsigned(local) }
        for (offset, type) in parked.enumerated() {
            body.byte(0x20); body.unsigned(parameter + offset)
            if type == .v128 {
                body.simd(0x1D); body.byte(0)  // i64x2.extract_lane 0
                body.byte(0x20); body.unsigned(parameter + offset)
                body.simd(0x1D); body.byte(1)
            }
        }
        body.byte(0x0B)
        return body.bytes
    }

    /// A random value type: a numeric one, or (with `vectors`) sometimes v128.
    mutating func randomType(vectors: Bool = false) -> DiffType {
        vectors && rng.chance(1, 3) ? .v128 : rng.pick(DiffType.scalars)
    }

    mutating func randomTypes(max: Int, vectors: Bool = false) -> [DiffType] {
        (0..<rng.below(max + 1)).map { _ in randomType(vectors: vectors) }
    }

    private mutating func randomSignature(vectors: Bool = false) -> DiffSignature {
        DiffSignature(parameters: randomTypes(max: 3, vectors: vectors), results: randomTypes(max: 3, vectors: vectors))
    }

    /// Whether the current function may have v128 in a signature it uses (calls, block types).
    var vectorSignatures: Bool { state.simd && moduleVectorTypes }

    /// Whether the current function may call a function of `signature`: only SIMD functions
    /// pass or receive v128.
    private func mayCall(_ signature: DiffSignature) -> Bool {
        state.simd || !(signature.parameters.contains(.v128) || signature.results.contains(.v128))
    }

    mutating func typeIndex(_ signature: DiffSignature) -> Int {
        if let index = types.firstIndex(of: signature) { return index }
        types.append(signature)
        return types.count - 1
    }

    // MARK: Module encoding

    private func encode(exports: [(name: String, signature: DiffSignature)]) -> [UInt8] {
        var module = ByteWriter()
        module.append([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00])
        var section = ByteWriter()
        section.unsigned(types.count)
        for type in types {
            section.byte(0x60)
            section.unsigned(type.parameters.count)
            for parameter in type.parameters { section.byte(parameter.rawValue) }
            section.unsigned(type.results.count)
            for result in type.results { section.byte(result.rawValue) }
        }
        module.section(1, section.bytes)

        section = ByteWriter()
        section.unsigned(functionTypes.count)
        for type in functionTypes { section.unsigned(type) }
        module.section(3, section.bytes)

        section = ByteWriter()
        section.unsigned(1); section.byte(0x70); section.byte(0x01); section.unsigned(tableSize); section.unsigned(tableSize)
        module.section(4, section.bytes)

        section = ByteWriter()
        section.unsigned(1); section.byte(0x01); section.unsigned(1); section.unsigned(ModuleGenerator.maxPages)
        module.section(5, section.bytes)

        section = ByteWriter()
        section.unsigned(globalTypes.count)
        var seedRNG = SplitMix64(seed: UInt64(globalTypes.count) &* 7919 &+ UInt64(tableSize))
        for (index, type) in globalTypes.enumerated() {
            section.byte(type.rawValue); section.byte(0x01)
            if index == 0 {
                section.byte(0x41); section.signed(ModuleGenerator.fuel)
            } else {
                ModuleGenerator.constant(type, into: &section, rng: &seedRNG)
            }
            section.byte(0x0B)
        }
        module.section(6, section.bytes)

        section = ByteWriter()
        section.unsigned(exports.count + 1)
        for (offset, export) in exports.enumerated() {
            section.name(export.name); section.byte(0x00); section.unsigned(generatedCount + offset)
        }
        // The memory, so the tester can compare it after every call (stores, v128 ones included).
        section.name(ModuleGenerator.memoryExport); section.byte(0x02); section.unsigned(0)
        module.section(7, section.bytes)

        // Element segment: the first few slots hold generated functions; the rest stay null.
        var elementRNG = SplitMix64(seed: UInt64(tableSize) &* 31 &+ UInt64(generatedCount))
        let filled = elementRNG.below(tableSize + 1)
        section = ByteWriter()
        section.unsigned(1); section.unsigned(0); section.byte(0x41); section.signed(0); section.byte(0x0B)
        section.unsigned(filled)
        for _ in 0..<filled { section.unsigned(elementRNG.below(generatedCount)) }
        module.section(9, section.bytes)

        section = ByteWriter()
        section.unsigned(bodies.count)
        for body in bodies { section.unsigned(body.count); section.append(body) }
        module.section(10, section.bytes)

        section = ByteWriter()
        section.unsigned(1); section.unsigned(0); section.byte(0x41); section.signed(0); section.byte(0x0B)
        section.unsigned(32)
        for _ in 0..<32 { section.byte(UInt8(truncatingIfNeeded: elementRNG.next())) }
        module.section(11, section.bytes)
        return module.bytes
    }

    /// An interesting constant of `type` (`*.const` instruction).
    static func constant(_ type: DiffType, into code: inout ByteWriter, rng: inout SplitMix64) {
        switch type {
        case .i32:
            code.byte(0x41)
            code.signed(Int64(Int32(truncatingIfNeeded: interestingInteger(bits: 32, rng: &rng))))
        case .i64:
            code.byte(0x42)
            code.signed(Int64(bitPattern: interestingInteger(bits: 64, rng: &rng)))
        case .f32:
            code.byte(0x43)
            code.littleEndian(UInt64(interestingFloat32(rng: &rng)), count: 4)
        case .f64:
            code.byte(0x44)
            code.littleEndian(interestingFloat64(rng: &rng), count: 8)
        case .v128:
            code.simd(0x0C)
            code.append(interestingVector(rng: &rng))
        }
    }

    static func interestingInteger(bits: Int, rng: inout SplitMix64) -> UInt64 {
        let signBit: UInt64 = 1 << UInt64(bits - 1)
        let mask: UInt64 = bits == 64 ? ~0 : (1 << UInt64(bits)) - 1
        switch rng.below(10) {
        case 0: return 0
        case 1: return 1
        case 2: return mask  // -1
        case 3: return signBit  // min
        case 4: return signBit - 1  // max
        case 5: return UInt64(rng.below(65))
        case 6: return UInt64(bitPattern: Int64(rng.below(200) - 100)) & mask
        case 7: return UInt64(rng.below(70000))
        default: return rng.next() & mask
        }
    }

    static func interestingFloat32(rng: inout SplitMix64) -> UInt32 {
        let values: [Float] = [0, -0.0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.7, .infinity, -.infinity,
                               2147483648, -2147483648, 2147483520, 4294967296, 4294967040,
                               9.2233720e18, -9.2233720e18, 1.8446743e19, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        switch rng.below(8) {
        case 0: return 0x7FC0_0000
        case 1: return UInt32(truncatingIfNeeded: rng.next())
        case 2: return Float(rng.below(200) - 100).bitPattern
        default: return rng.pick(values).bitPattern
        }
    }

    static func interestingFloat64(rng: inout SplitMix64) -> UInt64 {
        let values: [Double] = [0, -0.0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.7, .infinity, -.infinity,
                                2147483648, -2147483649, 2147483647.9, 4294967296, 4294967295.5,
                                9223372036854775808, -9223372036854775808, 18446744073709551616,
                                .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        switch rng.below(8) {
        case 0: return 0x7FF8_0000_0000_0000
        case 1: return rng.next()
        case 2: return Double(rng.below(200) - 100).bitPattern
        default: return rng.pick(values).bitPattern
        }
    }

    /// A random argument of `type` for the runner.
    public static func argument(_ type: DiffType, rng: inout SplitMix64) -> DiffValue {
        switch type {
        case .i32: return DiffValue(.i32, interestingInteger(bits: 32, rng: &rng))
        case .i64: return DiffValue(.i64, interestingInteger(bits: 64, rng: &rng))
        case .f32: return DiffValue(.f32, UInt64(interestingFloat32(rng: &rng)))
        case .f64: return DiffValue(.f64, interestingFloat64(rng: &rng))
        case .v128: preconditionFailure("entry points take scalars only")
        }
    }

    // MARK: Function bodies

    struct Label {
        var isLoop: Bool
        var types: [DiffType]
        /// A loop's counter local (every branch to the loop spends one of its iterations).
        var counter: Int? = nil
    }

    struct FunctionState {
        var index: Int
        var locals: [DiffType]
        var parameterCount: Int
        /// Whether this function uses v128.
        var simd = false
        /// Loop counters: never written by random code.
        var reserved: Set<Int> = []
        /// Scratch locals of lane canonicalisation, which keep NaNs of unspecified payload: never
        /// read by random code.
        var hidden: Set<Int> = []
        var labels: [Label] = []
        var budget: Int
        var code = ByteWriter()
    }

    var state = FunctionState(index: 0, locals: [], parameterCount: 0, budget: 0)

    private mutating func functionBody(_ index: Int) -> [UInt8] {
        let signature = types[functionTypes[index]]
        var locals = signature.parameters
        locals += randomTypes(max: 4, vectors: simdFunctions[index])
        state = FunctionState(index: index, locals: locals, parameterCount: signature.parameters.count,
                              simd: simdFunctions[index], budget: 20 + rng.below(120))
        state.labels = [Label(isLoop: false, types: signature.results)]
        // Fuel check: out of fuel returns zeros, so any call graph terminates.
        emit(0x23); state.code.unsigned(0); emit(0x45); emit(0x04); emit(0x40)
        for result in signature.results { zero(result) }
        emit(0x0F); emit(0x0B)
        emit(0x23); state.code.unsigned(0); emit(0x41); state.code.signed(1); emit(0x6B); emit(0x24); state.code.unsigned(0)
        for _ in 0..<rng.below(4) { statement(depth: 4) }
        for result in signature.results { expression(result, depth: 5) }
        emit(0x0B)

        // Locals were appended during generation (counters, scratch): declare them now.
        var body = ByteWriter()
        let declared = Array(state.locals[state.parameterCount...])
        body.unsigned(declared.count)
        for type in declared { body.unsigned(1); body.byte(type.rawValue) }
        body.append(state.code.bytes)
        return body.bytes
    }

    mutating func emit(_ byte: UInt8) { state.code.byte(byte) }

    private mutating func zero(_ type: DiffType) {
        switch type {
        case .i32: emit(0x41); emit(0x00)
        case .i64: emit(0x42); emit(0x00)
        case .f32: emit(0x43); state.code.littleEndian(0, count: 4)
        case .f64: emit(0x44); state.code.littleEndian(0, count: 8)
        case .v128: vectorConstant([UInt8](repeating: 0, count: 16))
        }
    }

    mutating func newLocal(_ type: DiffType) -> Int {
        state.locals.append(type)
        return state.locals.count - 1
    }

    private mutating func blockType(_ results: [DiffType]) {
        if results.isEmpty {
            emit(0x40)
        } else if results.count == 1 {
            emit(results[0].rawValue)
        } else {
            state.code.signed(Int64(typeIndex(DiffSignature(parameters: [], results: results))))
        }
    }

    private func depthOf(label: Int) -> Int { state.labels.count - 1 - label }

    /// Replaces the float on top of the stack by the canonical NaN if it is any NaN.
    mutating func canonicalize(_ type: DiffType) {
        guard type == .f32 || type == .f64 else { return }
        let scratch = newLocal(type)
        emit(0x21); state.code.unsigned(scratch)
        emit(0x20); state.code.unsigned(scratch)
        if type == .f32 {
            emit(0x43); state.code.littleEndian(0x7FC0_0000, count: 4)
        } else {
            emit(0x44); state.code.littleEndian(0x7FF8_0000_0000_0000, count: 8)
        }
        emit(0x20); state.code.unsigned(scratch)
        emit(0x20); state.code.unsigned(scratch)
        emit(type == .f32 ? 0x5B : 0x61)
        emit(0x1B)
    }

    private mutating func values(_ types: [DiffType], depth: Int) {
        for type in types { expression(type, depth: depth) }
    }

    /// Emits code that pushes exactly one value of `type`.
    mutating func expression(_ type: DiffType, depth: Int) {
        state.budget -= 1
        if depth <= 0 || state.budget <= 0 {
            leaf(type)
            return
        }
        let next = depth - 1
        switch rng.below(30) {
        case 0, 1, 2: leaf(type)
        case 3, 4, 5: unary(type, depth: next)
        case 6, 7, 8, 9: binary(type, depth: next)
        case 10, 11: compareOrConvert(type, depth: next)
        case 12, 13: load(type, depth: next)
        case 14:
            expression(type, depth: next); expression(type, depth: next); expression(.i32, depth: next); select(type)
        case 15: block(type, depth: next)
        case 16: ifElse(type, depth: next)
        case 17: loop(type, depth: next)
        case 18: call(type, depth: next)
        case 19: callIndirect(type, depth: next)
        case 20: branch(type, depth: next)
        case 21:
            statement(depth: next); expression(type, depth: next)
        // For v128, lane arithmetic takes the shares that scalar-only cases and leaves have below.
        case 22 where type == .v128: vectorBinary(depth: next)
        case 25...29 where type == .v128: vectorBinary(depth: next)
        case 22:
            if type == .i32 {
                if rng.chance(1, 2) {
                    emit(0x3F); emit(0x00)
                } else {
                    if rng.chance(3, 4) { emit(0x41); state.code.signed(Int64(rng.below(3))) } else { expression(.i32, depth: next) }
                    emit(0x40); emit(0x00)
                }
            } else {
                leaf(type)
            }
        case 23:
            // local.tee into a random writable local of this type.
            let candidates = state.locals.indices.filter { state.locals[$0] == type && !state.reserved.contains($0) }
            if let local = candidates.isEmpty ? nil : rng.pick(candidates) {
                expression(type, depth: next); emit(0x22); state.code.unsigned(local)
            } else {
                leaf(type)
            }
        case 24:
            if rng.chance(1, 8) { emit(0x00) } else { leaf(type) }
        case 25...27 where state.simd && type != .v128: scalarFromVector(type, depth: next)
        default: leaf(type)
        }
    }

    /// `select`, untyped for the numeric types; v128 may use either form.
    private mutating func select(_ type: DiffType) {
        if type == .v128 && rng.chance(1, 2) {
            emit(0x1C); state.code.unsigned(1); emit(type.rawValue)
        } else {
            emit(0x1B)
        }
    }

    mutating func leaf(_ type: DiffType) {
        switch rng.below(3) {
        case 0:
            let candidates = state.locals.indices.filter { state.locals[$0] == type && !state.hidden.contains($0) }
            if !candidates.isEmpty {
                emit(0x20); state.code.unsigned(rng.pick(candidates))
                return
            }
        case 1:
            let candidates = globalTypes.indices.filter { globalTypes[$0] == type }
            if !candidates.isEmpty {
                emit(0x23); state.code.unsigned(rng.pick(candidates))
                return
            }
        default: break
        }
        ModuleGenerator.constant(type, into: &state.code, rng: &rng)
    }

    private mutating func unary(_ type: DiffType, depth: Int) {
        let opcodes: [UInt8]
        switch type {
        case .i32: opcodes = [0x67, 0x68, 0x69, 0xC0, 0xC1]
        case .i64: opcodes = [0x79, 0x7A, 0x7B, 0xC2, 0xC3, 0xC4]
        case .f32: opcodes = Array(0x8B...0x91)
        case .f64: opcodes = Array(0x99...0x9F)
        case .v128: vectorUnary(depth: depth); return
        }
        expression(type, depth: depth)
        emit(rng.pick(opcodes))
    }

    private mutating func binary(_ type: DiffType, depth: Int) {
        let opcodes: [UInt8]
        switch type {
        case .i32: opcodes = Array(0x6A...0x78)
        case .i64: opcodes = Array(0x7C...0x8A)
        case .f32: opcodes = Array(0x92...0x98)
        case .f64: opcodes = Array(0xA0...0xA6)
        case .v128: vectorBinary(depth: depth); return
        }
        let opcode = rng.pick(opcodes)
        expression(type, depth: depth)
        expression(type, depth: depth)
        if opcode == 0x98 || opcode == 0xA6 { canonicalize(type) }  // copysign's sign source
        emit(opcode)
    }

    /// Conversions into `type` (and comparisons, for i32): (source, opcode, 0xFC-prefixed).
    private mutating func compareOrConvert(_ type: DiffType, depth: Int) {
        var options: [(DiffType, UInt32, Bool)]
        switch type {
        case .i32:
            if rng.chance(1, 2) {
                let source = rng.pick(DiffType.scalars)
                switch source {
                case .i32:
                    if rng.chance(1, 4) { expression(.i32, depth: depth); emit(0x45); return }
                    options = (0x46...0x4F).map { (.i32, UInt32($0), false) }
                case .i64:
                    if rng.chance(1, 4) { expression(.i64, depth: depth); emit(0x50); return }
                    options = (0x51...0x5A).map { (.i64, UInt32($0), false) }
                case .f32: options = (0x5B...0x60).map { (.f32, UInt32($0), false) }
                case .f64: options = (0x61...0x66).map { (.f64, UInt32($0), false) }
                case .v128: preconditionFailure("scalar sources only")
                }
                let (operand, opcode, _) = rng.pick(options)
                expression(operand, depth: depth); expression(operand, depth: depth)
                emit(UInt8(opcode))
                return
            }
            options = [(.i64, 0xA7, false), (.f32, 0xA8, false), (.f32, 0xA9, false), (.f64, 0xAA, false),
                       (.f64, 0xAB, false), (.f32, 0, true), (.f32, 1, true), (.f64, 2, true), (.f64, 3, true),
                       (.f32, 0xBC, false)]
        case .i64:
            options = [(.i32, 0xAC, false), (.i32, 0xAD, false), (.f32, 0xAE, false), (.f32, 0xAF, false),
                       (.f64, 0xB0, false), (.f64, 0xB1, false), (.f32, 4, true), (.f32, 5, true),
                       (.f64, 6, true), (.f64, 7, true), (.f64, 0xBD, false)]
        case .f32:
            options = [(.i32, 0xB2, false), (.i32, 0xB3, false), (.i64, 0xB4, false), (.i64, 0xB5, false),
                       (.f64, 0xB6, false), (.i32, 0xBE, false)]
        case .f64:
            options = [(.i32, 0xB7, false), (.i32, 0xB8, false), (.i64, 0xB9, false), (.i64, 0xBA, false),
                       (.f32, 0xBB, false), (.i64, 0xBF, false)]
        case .v128:
            vectorFromScalars(depth: depth)
            return
        }
        let (source, opcode, prefixed) = rng.pick(options)
        expression(source, depth: depth)
        if opcode == 0xBC || opcode == 0xBD { canonicalize(source) }
        if prefixed { emit(0xFC); state.code.unsigned(UInt64(opcode)) } else { emit(UInt8(opcode)) }
    }

    mutating func address(depth: Int) {
        switch rng.below(6) {
        case 0, 1: emit(0x41); state.code.signed(Int64(rng.below(64)))
        case 2: emit(0x41); state.code.signed(Int64(65536 * (1 + rng.below(2)) - 16 + rng.below(24)))
        case 3: emit(0x41); state.code.signed(Int64(Int32(truncatingIfNeeded: rng.next())))
        default:
            // A computed address, usually masked into the first pages.
            expression(.i32, depth: depth)
            if rng.chance(3, 4) { emit(0x41); state.code.signed(Int64(rng.pick([0xFF, 0xFFFF, 0x1FFFF]))); emit(0x71) }
        }
    }

    mutating func memoryArgument(naturalAlignment: Int) {
        state.code.unsigned(rng.below(naturalAlignment + 1))
        switch rng.below(8) {
        case 0: state.code.unsigned(rng.below(70000))
        case 1: state.code.unsigned(UInt64(0xFFFF_FFF0 + rng.below(16)))
        case 2, 3: state.code.unsigned(rng.below(16))
        default: state.code.unsigned(0)
        }
    }

    private mutating func load(_ type: DiffType, depth: Int) {
        let options: [(UInt8, Int)]
        switch type {
        case .i32: options = [(0x28, 2), (0x2C, 0), (0x2D, 0), (0x2E, 1), (0x2F, 1)]
        case .i64: options = [(0x29, 3), (0x30, 0), (0x31, 0), (0x32, 1), (0x33, 1), (0x34, 2), (0x35, 2)]
        case .f32: options = [(0x2A, 2)]
        case .f64: options = [(0x2B, 3)]
        case .v128: vectorLoad(depth: depth); return
        }
        let (opcode, alignment) = rng.pick(options)
        address(depth: depth)
        emit(opcode)
        memoryArgument(naturalAlignment: alignment)
    }

    private mutating func store(depth: Int) {
        let type = rng.pick(DiffType.scalars)
        let options: [(UInt8, Int)]
        switch type {
        case .i32: options = [(0x36, 2), (0x3A, 0), (0x3B, 1)]
        case .i64: options = [(0x37, 3), (0x3C, 0), (0x3D, 1), (0x3E, 2)]
        case .f32: options = [(0x38, 2)]
        case .f64: options = [(0x39, 3)]
        case .v128: preconditionFailure("scalar stores only")
        }
        let (opcode, alignment) = rng.pick(options)
        address(depth: depth)
        expression(type, depth: depth)
        canonicalize(type)
        emit(opcode)
        memoryArgument(naturalAlignment: alignment)
    }

    /// Results of a structured instruction producing `type`: `type` first, then extras to drop.
    private mutating func structuredResults(_ type: DiffType) -> [DiffType] {
        let results = [type] + randomTypes(max: 2, vectors: vectorSignatures)
        // A multi-value block type lands in the type section, where v128 is module-wide.
        return results.count > 1 && results.contains(.v128) && !moduleVectorTypes ? [type] : results
    }

    private mutating func dropExtras(_ results: [DiffType]) {
        for _ in 1..<results.count { emit(0x1A) }
    }

    private mutating func block(_ type: DiffType, depth: Int) {
        let results = structuredResults(type)
        emit(0x02); blockType(results)
        state.labels.append(Label(isLoop: false, types: results))
        for _ in 0..<rng.below(3) { statement(depth: depth) }
        values(results, depth: depth)
        state.labels.removeLast()
        emit(0x0B)
        dropExtras(results)
    }

    private mutating func ifElse(_ type: DiffType, depth: Int) {
        let results = structuredResults(type)
        expression(.i32, depth: depth)
        emit(0x04); blockType(results)
        state.labels.append(Label(isLoop: false, types: results))
        for _ in 0..<rng.below(2) { statement(depth: depth) }
        values(results, depth: depth)
        emit(0x05)
        for _ in 0..<rng.below(2) { statement(depth: depth) }
        values(results, depth: depth)
        state.labels.removeLast()
        emit(0x0B)
        dropExtras(results)
    }

    /// A counted loop: `counter = k; loop { body; br_if 0 (--counter > 0) } value`. The body
    /// may also continue an enclosing loop (`continueEnclosingLoop`), which spends that loop's
    /// counter the same way, so every loop still ends.
    private mutating func loop(_ type: DiffType?, depth: Int) {
        let counter = newLocal(.i32)
        state.reserved.insert(counter)
        emit(0x41); state.code.signed(Int64(1 + rng.below(4))); emit(0x21); state.code.unsigned(counter)
        emit(0x03); blockType(type.map { [$0] } ?? [])
        state.labels.append(Label(isLoop: true, types: [], counter: counter))
        for _ in 0..<(1 + rng.below(3)) { statement(depth: depth) }
        branchToLoop(at: state.labels.count - 1)
        if let type { expression(type, depth: depth) }
        state.labels.removeLast()
        emit(0x0B)
    }

    /// `br_if L (--counter_L > 0)` for the loop label at `label`.
    private mutating func branchToLoop(at label: Int) {
        guard let counter = state.labels[label].counter else { preconditionFailure("not a loop label") }
        emit(0x20); state.code.unsigned(counter); emit(0x41); state.code.signed(1); emit(0x6B)
        emit(0x22); state.code.unsigned(counter); emit(0x41); state.code.signed(0); emit(0x4A)
        emit(0x0D); state.code.unsigned(depthOf(label: label))
    }

    /// From inside an inner loop, the next iteration of an enclosing one: the outer loop's back
    /// edge then sits inside the inner loop's body, before the inner loop's end.
    private mutating func continueEnclosingLoop() -> Bool {
        let loops = state.labels.indices.filter { state.labels[$0].isLoop }
        guard loops.count >= 2 else { return false }
        branchToLoop(at: rng.pick(loops.dropLast()))
        return true
    }

    private mutating func call(_ type: DiffType?, depth: Int) {
        // Direct calls go only to later functions; recursion happens through the table.
        let candidates = ((state.index + 1)..<generatedCount).filter { callee in
            let signature = types[functionTypes[callee]]
            guard mayCall(signature) else { return false }
            if let type { return signature.results.first == type }
            return true
        }
        guard !candidates.isEmpty else {
            if let type { leaf(type) }
            return
        }
        let callee = rng.pick(candidates)
        let signature = types[functionTypes[callee]]
        values(signature.parameters, depth: depth)
        emit(0x10); state.code.unsigned(callee)
        dropResults(signature.results, keepFirst: type != nil)
    }

    private mutating func dropResults(_ results: [DiffType], keepFirst: Bool) {
        for _ in 0..<(results.count - (keepFirst ? 1 : 0)) { emit(0x1A) }
    }

    private mutating func callIndirect(_ type: DiffType?, depth: Int) {
        // Its type would hold v128, which is module-wide.
        if type == .v128 && !moduleVectorTypes {
            leaf(.v128)
            return
        }
        // Usually the type of some function (which may or may not sit in the slot called).
        var signature: DiffSignature
        let callable = (0..<generatedCount).filter { mayCall(types[functionTypes[$0]]) }
        if rng.chance(3, 4) && !callable.isEmpty {
            signature = types[functionTypes[rng.pick(callable)]]
        } else {
            signature = randomSignature(vectors: vectorSignatures)
        }
        if let type, signature.results.first != type { signature.results.insert(type, at: 0) }
        let typeIndex = typeIndex(signature)
        values(signature.parameters, depth: depth)
        if rng.chance(4, 5) {
            emit(0x41); state.code.signed(Int64(rng.below(tableSize + 2)))
        } else {
            expression(.i32, depth: depth)
        }
        emit(0x11); state.code.unsigned(typeIndex); state.code.unsigned(0)
        dropResults(signature.results, keepFirst: type != nil)
    }

    /// br, br_if or br_table (as an expression of `type`), or return.
    private mutating func branch(_ type: DiffType, depth: Int) {
        let targets = state.labels.indices.filter { !state.labels[$0].isLoop }
        let target = rng.pick(targets)
        let label = state.labels[target]
        switch rng.below(4) {
        case 0:
            values(label.types, depth: depth)
            emit(0x0C); state.code.unsigned(depthOf(label: target))
        case 1:
            let same = targets.filter { state.labels[$0].types == label.types }
            values(label.types, depth: depth)
            expression(.i32, depth: depth)
            let count = rng.below(4)
            emit(0x0E); state.code.unsigned(count)
            for _ in 0..<count { state.code.unsigned(depthOf(label: rng.pick(same))) }
            state.code.unsigned(depthOf(label: target))
        case 2:
            values(state.labels[0].types, depth: depth)
            emit(0x0F)
        default:
            // br_if leaves the label's values: drop them, then produce the value.
            values(label.types, depth: depth)
            expression(.i32, depth: depth)
            emit(0x0D); state.code.unsigned(depthOf(label: target))
            for _ in label.types { emit(0x1A) }
            expression(type, depth: depth)
        }
    }

    /// Emits code with no net effect on the stack.
    mutating func statement(depth: Int) {
        state.budget -= 1
        let next = depth - 1
        if depth <= 0 || state.budget <= 0 {
            emit(0x01)
            return
        }
        switch rng.below(12) {
        case 0, 1:
            let candidates = state.locals.indices.filter { !state.reserved.contains($0) }
            if candidates.isEmpty { emit(0x01); return }
            let local = rng.pick(candidates)
            expression(state.locals[local], depth: next); emit(0x21); state.code.unsigned(local)
        case 2:
            let writable = (1..<globalTypes.count).filter { state.simd || globalTypes[$0] != .v128 }
            if writable.isEmpty { emit(0x01); return }
            let global = rng.pick(writable)
            expression(globalTypes[global], depth: next); emit(0x24); state.code.unsigned(global)
        case 3, 4:
            if state.simd && rng.chance(1, 2) { vectorStore(depth: next) } else { store(depth: next) }
        case 5: expression(randomType(vectors: state.simd), depth: next); emit(0x1A)
        case 6:
            expression(.i32, depth: next)
            emit(0x04); emit(0x40)
            state.labels.append(Label(isLoop: false, types: []))
            for _ in 0..<(1 + rng.below(2)) { statement(depth: next) }
            if rng.chance(1, 2) {
                emit(0x05)
                statement(depth: next)
            }
            state.labels.removeLast()
            emit(0x0B)
        case 7: loop(nil, depth: next)
        case 8: call(nil, depth: next)
        case 9: callIndirect(nil, depth: next)
        case 10:
            emit(0x02); emit(0x40)
            state.labels.append(Label(isLoop: false, types: []))
            for _ in 0..<(1 + rng.below(3)) { statement(depth: next) }
            state.labels.removeLast()
            emit(0x0B)
        default:
            if rng.chance(1, 3) && continueEnclosingLoop() { return }
            let target = rng.pick(state.labels.indices.filter { !state.labels[$0].isLoop })
            let label = state.labels[target]
            values(label.types, depth: next)
            expression(.i32, depth: next)
            emit(0x0D); state.code.unsigned(depthOf(label: target))
            for _ in label.types { emit(0x1A) }
        }
    }
}
