/// Decodes the payload of the `name` custom section (module, function and local names;
/// other subsections are skipped). A malformed name section does not make the module
/// malformed (spec appendix 7.4): the result is then nil.
func decodeNameSection(bytes: [UInt8], range: Range<Int>) -> NameSection? {
    var reader = ByteReader(bytes: bytes, range: range)
    do {
        return try readNameSection(&reader)
    } catch {
        return nil
    }
}

private func readNameSection(_ reader: inout ByteReader) throws(WasmError) -> NameSection {
    var names = NameSection()
    var lastID = -1
    while !reader.isAtEnd {
        let idOffset = reader.offset
        let id = Int(try reader.readByte())
        // Each subsection at most once, in increasing id order.
        guard id > lastID else { throw .malformed("out-of-order name subsection", at: idOffset) }
        lastID = id
        let size = try reader.readLength()
        let range = try reader.readRange(size)
        var subsection = ByteReader(bytes: reader.bytes, range: range)
        switch id {
        case 0:
            names.moduleName = try subsection.readName()
        case 1:
            names.functionNames = try readNameMap(&subsection)
        case 2:
            let count = try subsection.readLength()
            var localNames: [UInt32: [UInt32: String]] = [:]
            localNames.reserveCapacity(Swift.min(count, subsection.remaining))
            for _ in 0..<count {
                let function = try subsection.readVarUInt32()
                localNames[function] = try readNameMap(&subsection)
            }
            names.localNames = localNames
        default:
            subsection.offset = subsection.end  // Labels, types, tables, …: not used.
        }
        guard subsection.isAtEnd else { throw .malformed("name subsection size mismatch", at: subsection.offset) }
    }
    return names
}

/// A `namemap`: a vector of (index, name) pairs.
private func readNameMap(_ reader: inout ByteReader) throws(WasmError) -> [UInt32: String] {
    let count = try reader.readLength()
    var map: [UInt32: String] = [:]
    map.reserveCapacity(Swift.min(count, reader.remaining))
    for _ in 0..<count {
        let index = try reader.readVarUInt32()
        map[index] = try reader.readName()
    }
    return map
}
