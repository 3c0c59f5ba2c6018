/// Implementation limits applied while decoding, so that hostile input cannot make the kernel
/// allocate or loop without bound. The values follow V8's (`wasm-limits.h`), which real
/// toolchains already respect. Exceeding one is a `.decoding` error that names the limit.
public enum DecodingLimits {
    /// Whole module binary, in bytes.
    public static let maxModuleSize = 1 << 30
    public static let maxTypes = 1_000_000
    /// Functions, imported and defined together.
    public static let maxFunctions = 1_000_000
    public static let maxImports = 100_000
    public static let maxExports = 100_000
    public static let maxGlobals = 1_000_000
    public static let maxTables = 100_000
    public static let maxMemories = 100_000
    public static let maxElementSegments = 100_000
    public static let maxDataSegments = 100_000
    /// Items in one element segment.
    public static let maxElementSegmentItems = 10_000_000
    public static let maxParameters = 1_000
    public static let maxResults = 1_000
    /// Declared locals of one function (parameters excluded).
    public static let maxLocals = 50_000
    /// One function body, in bytes (locals included).
    public static let maxFunctionBodySize = 7_654_321
    /// Targets of one `br_table`, the default excluded.
    public static let maxBranchTableTargets = 65_520

    /// The error for a count above `limit`: "too many types (limit 1000000)".
    static func exceeded(_ what: String, limit: Int, at offset: Int) -> WasmError {
        .malformed("too many " + what + " (limit " + String(limit) + ")", at: offset)
    }
}
