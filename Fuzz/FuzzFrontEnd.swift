// libFuzzer entry point over Apus's front end: decode + validate arbitrary bytes.
//
// Built by scripts/fuzz together with the WasmFrontEnd sources as one module (no SwiftPM),
// with `-sanitize=fuzzer,address`. Any crash, sanitizer report, or hang (libFuzzer -timeout)
// is a bug in the front end: hostile input must only ever produce a `WasmError`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrontEnd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do throws(WasmError) {
        let module = try decodeModule(bytes)
        try validateModule(module)
    } catch {
        // Errors are the expected outcome for most inputs; building the message exercises
        // its formatting too.
        precondition(!error.description.isEmpty)
    }
    return 0
}
