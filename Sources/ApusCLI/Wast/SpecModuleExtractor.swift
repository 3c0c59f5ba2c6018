import WAT

/// Pulls every module binary out of a spec script: `module` directives, and the modules of
/// `assert_malformed`/`assert_invalid`/`assert_trap`/`assert_unlinkable` that the text parser
/// can encode. Used to seed the fuzzer's corpus with valid and nearly-valid modules.
public enum SpecModuleExtractor {
    public static func modules(inScript source: String) -> [[UInt8]] {
        guard var wast = try? Wasm2Text.script(source) else { return [] }
        var modules: [[UInt8]] = []
        func add(_ source: ModuleSource) {
            switch source {
            case .binary(let bytes): modules.append(bytes)
            case .text(let wat): if let bytes = try? wat.encode() { modules.append(bytes) }
            case .quote(let text):
                if let bytes = try? Wasm2Text.module(String(decoding: text, as: UTF8.self)) {
                    modules.append(bytes)
                }
            }
        }
        while let (parsed, _) = wast.nextDirectiveResult() {
            guard case .success(let directive) = parsed else { continue }
            switch directive {
            case .module(let module): add(module.source)
            case .assertMalformed(let module, _), .assertInvalid(let module, _): add(module.source)
            case .assertTrap(.wat(let wat), _), .assertUnlinkable(let wat, _): add(.text(wat))
            default: break
            }
        }
        return modules
    }
}
