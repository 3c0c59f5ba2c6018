/// Decodes a complete WebAssembly 2.0 module binary (core spec §5.5). Function bodies are
/// framed (locals decoded, instructions left as a byte range for `InstructionReader`);
/// everything else is decoded. Errors are `.decoding` errors worded as the spec tests
/// expect, except `select t*` / block type problems found in constant expressions, which
/// the spec classes as validation errors.
public func decodeModule(_ bytes: [UInt8]) throws(WasmError) -> Module {
    var decoder = ModuleDecoder(bytes: bytes)
    return try decoder.decode()
}

/// The section decoders. Like the reference interpreter, section contents are read with the
/// whole rest of the module readable and the declared size checked afterwards ("section size
/// mismatch"), which reproduces the spec tests' messages for wrong counts and sizes. Every
/// read is still bounds-checked against the end of the module.
struct ModuleDecoder {
    var reader: ByteReader
    var module: Module
    /// End of the section being decoded, as declared (may lie beyond the module's end).
    var sectionEnd = 0

    init(bytes: [UInt8]) {
        reader = ByteReader(bytes: bytes)
        module = Module(bytes: bytes)
    }

    var bytes: [UInt8] { reader.bytes }

    mutating func decode() throws(WasmError) -> Module {
        guard bytes.count <= DecodingLimits.maxModuleSize else {
            throw .malformed("module too large (limit " + String(DecodingLimits.maxModuleSize) + " bytes)", at: 0)
        }
        let magic = try reader.readFixedUInt32()
        guard magic == 0x6D73_6100 else { throw .malformed("magic header not detected", at: 0) }
        let version = try reader.readFixedUInt32()
        guard version == 1 else { throw .malformed("unknown binary version", at: 4) }

        var lastRank = 0
        var nameSectionRange: Range<Int>?
        while !reader.isAtEnd {
            let idOffset = reader.offset
            let id = try reader.readByte()
            guard let rank = Self.sectionRank(id) else {
                throw .malformed("malformed section id", at: idOffset)
            }
            if id != 0 {
                // Known sections appear at most once and in order; custom sections anywhere.
                guard rank > lastRank else {
                    throw .malformed("unexpected content after last section", at: idOffset)
                }
                lastRank = rank
            }
            let size = try reader.readLength()
            let contentStart = reader.offset
            sectionEnd = contentStart + size
            if id == 0 {
                let section = try readCustomSection()
                if section.name == "name", nameSectionRange == nil { nameSectionRange = section.range }
                module.customSections.append(section)
            } else {
                try readSection(id)
            }
            guard reader.offset == sectionEnd else {
                throw .malformed("section size mismatch", at: contentStart)
            }
        }

        guard module.functionTypeIndices.count == module.functionBodies.count else {
            throw .malformed("function and code section have inconsistent lengths", at: bytes.count)
        }
        if let dataCount = module.dataCount, Int(dataCount) != module.data.count {
            throw .malformed("data count and data section have inconsistent lengths", at: bytes.count)
        }
        if let nameSectionRange {
            module.names = decodeNameSection(bytes: bytes, range: nameSectionRange)
        }
        return module
    }

    /// The position of a section id in the required order (custom sections: 0); nil if unknown.
    /// The data count section (12) sits between the element (9) and code (10) sections.
    static func sectionRank(_ id: UInt8) -> Int? {
        switch id {
        case 0...9: return Int(id)
        case 12: return 10
        case 10: return 11
        case 11: return 12
        default: return nil
        }
    }

    mutating func readSection(_ id: UInt8) throws(WasmError) {
        switch id {
        case 1: try readTypeSection()
        case 2: try readImportSection()
        case 3: try readFunctionSection()
        case 4: try readTableSection()
        case 5: try readMemorySection()
        case 6: try readGlobalSection()
        case 7: try readExportSection()
        case 8: module.start = try reader.readVarUInt32()
        case 9: try readElementSection()
        case 10: try readCodeSection()
        case 11: try readDataSection()
        case 12: module.dataCount = try reader.readVarUInt32()
        default: throw .malformed("malformed section id", at: reader.offset)
        }
    }

    // MARK: Helpers

    /// A vector length, checked against the bytes left and against `limit`.
    mutating func readCount(limit: Int, what: String) throws(WasmError) -> Int {
        let start = reader.offset
        let count = try reader.readLength()
        guard count <= limit else { throw DecodingLimits.exceeded(what, limit: limit, at: start) }
        return count
    }

    /// How many elements to reserve for a vector of `count`: never more than the bytes left
    /// in the section, since every element takes at least one byte.
    func reservation(_ count: Int) -> Int {
        Swift.max(0, Swift.min(count, sectionEnd - reader.offset, reader.remaining))
    }

    /// A constant expression, up to and including the `end` that closes it. Any instruction
    /// is decoded; whether it is constant is the validator's question.
    mutating func readConstantExpression() throws(WasmError) -> ConstantExpression {
        let start = reader.offset
        var instructions = InstructionReader(bytes: bytes, range: start..<reader.end)
        var list: [Instruction] = []
        var depth = 0
        while true {
            let instructionOffset = instructions.offset
            let instruction = try instructions.next()
            list.append(instruction)
            switch instruction {
            case .block, .loop, .if:
                depth += 1
            case .else where depth == 0:
                throw .malformed("END opcode expected", at: instructionOffset)
            case .end:
                if depth == 0 {
                    reader.offset = instructions.offset
                    return ConstantExpression(instructions: list, offset: start)
                }
                depth -= 1
            default:
                break
            }
        }
    }

    // MARK: Sections

    mutating func readCustomSection() throws(WasmError) -> CustomSection {
        // As in the reference interpreter, a name that overruns the declared size is an
        // unexpected end (of the section), found once the name has been read.
        let name = try reader.readName()
        guard reader.offset <= sectionEnd, sectionEnd <= bytes.count else {
            throw .unexpectedEnd(at: Swift.min(sectionEnd, bytes.count))
        }
        let payload = reader.offset..<sectionEnd
        reader.offset = sectionEnd
        return CustomSection(name: name, range: payload)
    }

    mutating func readTypeSection() throws(WasmError) {
        let count = try readCount(limit: DecodingLimits.maxTypes, what: "types")
        module.types.reserveCapacity(reservation(count))
        for _ in 0..<count { module.types.append(try reader.readFunctionType()) }
    }

    mutating func readImportSection() throws(WasmError) {
        let count = try readCount(limit: DecodingLimits.maxImports, what: "imports")
        module.imports.reserveCapacity(reservation(count))
        var functionCount = 0
        for _ in 0..<count {
            let moduleName = try reader.readName()
            let name = try reader.readName()
            let kindOffset = reader.offset
            let descriptor: ImportDescriptor
            switch try reader.readByte() {
            case 0:
                descriptor = .function(typeIndex: try reader.readVarUInt32())
                functionCount += 1
            case 1: descriptor = .table(try reader.readTableType())
            case 2: descriptor = .memory(try reader.readMemoryType())
            case 3: descriptor = .global(try reader.readGlobalType())
            default: throw .malformed("malformed import kind", at: kindOffset)
            }
            module.imports.append(Import(module: moduleName, name: name, descriptor: descriptor))
        }
        guard functionCount <= DecodingLimits.maxFunctions else {
            throw DecodingLimits.exceeded("functions", limit: DecodingLimits.maxFunctions, at: reader.offset)
        }
    }

    mutating func readFunctionSection() throws(WasmError) {
        let countOffset = reader.offset
        let count = try readCount(limit: DecodingLimits.maxFunctions, what: "functions")
        guard count + module.importedFunctionCount <= DecodingLimits.maxFunctions else {
            throw DecodingLimits.exceeded("functions", limit: DecodingLimits.maxFunctions, at: countOffset)
        }
        module.functionTypeIndices.reserveCapacity(reservation(count))
        for _ in 0..<count { module.functionTypeIndices.append(try reader.readVarUInt32()) }
    }

    mutating func readTableSection() throws(WasmError) {
        let count = try readCount(limit: DecodingLimits.maxTables, what: "tables")
        module.tables.reserveCapacity(reservation(count))
        for _ in 0..<count { module.tables.append(try reader.readTableType()) }
    }

    mutating func readMemorySection() throws(WasmError) {
        let count = try readCount(limit: DecodingLimits.maxMemories, what: "memories")
        module.memories.reserveCapacity(reservation(count))
        for _ in 0..<count { module.memories.append(try reader.readMemoryType()) }
    }

    mutating func readGlobalSection() throws(WasmError) {
        let count = try readCount(limit: DecodingLimits.maxGlobals, what: "globals")
        module.globals.reserveCapacity(reservation(count))
        for _ in 0..<count {
            let type = try reader.readGlobalType()
            let initializer = try readConstantExpression()
            module.globals.append(Global(type: type, initializer: initializer))
        }
    }

    mutating func readExportSection() throws(WasmError) {
        let count = try readCount(limit: DecodingLimits.maxExports, what: "exports")
        module.exports.reserveCapacity(reservation(count))
        for _ in 0..<count {
            let name = try reader.readName()
            let kindOffset = reader.offset
            guard let kind = ExternalKind(rawValue: try reader.readByte()) else {
                throw .malformed("malformed export kind", at: kindOffset)
            }
            let index = try reader.readVarUInt32()
            module.exports.append(Export(name: name, kind: kind, index: index))
        }
    }

    mutating func readElementSection() throws(WasmError) {
        let count = try readCount(limit: DecodingLimits.maxElementSegments, what: "element segments")
        module.elements.reserveCapacity(reservation(count))
        for _ in 0..<count { module.elements.append(try readElementSegment()) }
    }

    /// The eight element segment forms. The kind's bits: 0 = passive or declarative (else
    /// active), 1 = declarative when bit 0 is set, explicit table index when it is not,
    /// 2 = items are expressions (else function indices).
    mutating func readElementSegment() throws(WasmError) -> ElementSegment {
        let start = reader.offset
        let kind = try reader.readVarUInt32()
        guard kind <= 7 else { throw .malformed("malformed elements segment kind", at: start) }
        let isPassiveOrDeclarative = kind & 1 != 0
        let hasTableIndexOrIsDeclarative = kind & 2 != 0
        let usesExpressions = kind & 4 != 0

        let mode: ElementMode
        if isPassiveOrDeclarative {
            mode = hasTableIndexOrIsDeclarative ? .declarative : .passive
        } else {
            var table: UInt32 = 0
            if hasTableIndexOrIsDeclarative { table = try reader.readVarUInt32() }
            mode = .active(table: table, offset: try readConstantExpression())
        }

        // Forms 0 and 4 imply funcref; the others state the element kind or reference type.
        var type = ReferenceType.funcref
        if kind & 3 != 0 {
            if usesExpressions {
                type = try reader.readReferenceType()
            } else {
                let elementKindOffset = reader.offset
                guard try reader.readByte() == 0x00 else {
                    throw .malformed("malformed element kind", at: elementKindOffset)
                }
            }
        }

        let itemCount = try readCount(limit: DecodingLimits.maxElementSegmentItems, what: "element segment items")
        let items: ElementItems
        if usesExpressions {
            var expressions: [ConstantExpression] = []
            expressions.reserveCapacity(reservation(itemCount))
            for _ in 0..<itemCount { expressions.append(try readConstantExpression()) }
            items = .expressions(expressions)
        } else {
            var indices: [UInt32] = []
            indices.reserveCapacity(reservation(itemCount))
            for _ in 0..<itemCount { indices.append(try reader.readVarUInt32()) }
            items = .functionIndices(indices)
        }
        return ElementSegment(type: type, items: items, mode: mode, offset: start)
    }

    mutating func readCodeSection() throws(WasmError) {
        let count = try readCount(limit: DecodingLimits.maxFunctions, what: "function bodies")
        module.functionBodies.reserveCapacity(reservation(count))
        for _ in 0..<count { module.functionBodies.append(try readFunctionBody()) }
    }

    /// Frames one body and decodes its locals; the instructions stay a byte range.
    mutating func readFunctionBody() throws(WasmError) -> FunctionBody {
        let sizeOffset = reader.offset
        let size = try reader.readLength()
        guard size <= DecodingLimits.maxFunctionBodySize else {
            throw .malformed("function body too large (limit " + String(DecodingLimits.maxFunctionBodySize) + " bytes)", at: sizeOffset)
        }
        let range = try reader.readRange(size)
        var body = ByteReader(bytes: bytes, range: range)
        let localsOffset = body.offset
        let runCount = try body.readLength()
        var locals: [LocalRun] = []
        locals.reserveCapacity(Swift.min(runCount, body.remaining))
        var total: UInt64 = 0
        for _ in 0..<runCount {
            let count = try body.readVarUInt32()
            total += UInt64(count)
            guard total <= UInt64(DecodingLimits.maxLocals) else {
                throw DecodingLimits.exceeded("locals", limit: DecodingLimits.maxLocals, at: localsOffset)
            }
            locals.append(LocalRun(count: count, type: try body.readValueType()))
        }
        return FunctionBody(locals: locals, localCount: Int(total), code: body.offset..<range.upperBound)
    }

    mutating func readDataSection() throws(WasmError) {
        let count = try readCount(limit: DecodingLimits.maxDataSegments, what: "data segments")
        module.data.reserveCapacity(reservation(count))
        for _ in 0..<count {
            let kindOffset = reader.offset
            let mode: DataMode
            switch try reader.readVarUInt32() {
            case 0: mode = .active(memory: 0, offset: try readConstantExpression())
            case 1: mode = .passive
            case 2:
                let memory = try reader.readVarUInt32()
                mode = .active(memory: memory, offset: try readConstantExpression())
            default: throw .malformed("malformed data segment kind", at: kindOffset)
            }
            let length = try reader.readLength()
            module.data.append(DataSegment(mode: mode, range: try reader.readRange(length)))
        }
    }
}
