// Calling services: programs that run once and that other programs call directly, without a
// system call (docs/programs.md). Declare each function of a service with the results through
// a pointer — its parameters, then `UnsafeMutablePointer<UInt64>?` — returning the call's status:
//
//     @_extern(wasm, module: "kvstore@1", name: "get") @_extern(c)
//     func kvstore_get(_ key: Int32, _ results: UnsafeMutablePointer<UInt64>?) -> UInt32
//
// and call it with `Service.call { kvstore_get(7, $0) }`. A service itself is a Swift file
// whose functions are marked `@_expose(wasm, "NAME") @_cdecl("NAME")`, with a NAME.interface
// beside it (`kind service`, `version 1.0.0`, …); the kernel's etc/capabilities must allow
// the caller to import it.

/// Why a call into a service did not run or did not finish (`CrossCallStatus`).
struct ServiceError: Error {
    var status: UInt32

    var message: String {
        switch status {
        case 1: return "the service has failed"
        case 2: return "a buffer lies outside this program's memory"
        case 3: return "the buffers are larger than the service accepts"
        case 4: return "the service is busy"
        default: return status & 0x100 != 0 ? "the service trapped (" + String(status & 0xFF) + ")" : "status " + String(status)
        }
    }
}

enum Service {
    /// Calls a service function declared with its results through a pointer (`count` 8-byte
    /// slots); retries while the service is busy with another program's call.
    static func call(results count: Int = 1, _ function: (UnsafeMutablePointer<UInt64>?) -> UInt32)
        -> Result<[UInt64], ServiceError>
    {
        var results = [UInt64](repeating: 0, count: max(count, 1))
        while true {
            let status = results.withUnsafeMutableBufferPointer { function($0.baseAddress) }
            if status == 0 { return .success(results) }
            if status != 4 { return .failure(ServiceError(status: status)) }
            Apus.yield()
        }
    }
}
