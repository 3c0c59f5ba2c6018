// kvs put KEY VALUE | kvs get KEY | kvs count — a client of the service kvstore: each call
// goes straight into kvstore's code through a trampoline the kernel generated (no system call).
@_extern(wasm, module: "kvstore@1", name: "put") @_extern(c)
func kvstore_put(_ key: Int32, _ value: Int32, _ results: UnsafeMutablePointer<UInt64>?) -> UInt32
@_extern(wasm, module: "kvstore@1", name: "get") @_extern(c)
func kvstore_get(_ key: Int32, _ results: UnsafeMutablePointer<UInt64>?) -> UInt32
@_extern(wasm, module: "kvstore@1", name: "count") @_extern(c)
func kvstore_count(_ results: UnsafeMutablePointer<UInt64>?) -> UInt32

@main struct Main {
    static func main() {
        let arguments = commandLineArguments()
        let command = arguments.count > 1 ? arguments[1] : ""
        let key = arguments.count > 2 ? Int32(truncatingIfNeeded: arguments[2].integerValue ?? 0) : 0
        let result: Result<[UInt64], ServiceError>
        if command == "put", arguments.count == 4, let value = arguments[3].integerValue {
            result = Service.call { kvstore_put(key, Int32(truncatingIfNeeded: value), $0) }
        } else if command == "get", arguments.count == 3 {
            result = Service.call { kvstore_get(key, $0) }
        } else if command == "count", arguments.count == 2 {
            result = Service.call { kvstore_count($0) }
        } else {
            printError("usage: kvs put KEY VALUE | kvs get KEY | kvs count")
            exit(2)
        }
        switch result {
        case .success(let values):
            print(String(Int32(truncatingIfNeeded: values[0])))
        case .failure(let error):
            printError("kvs: kvstore: " + error.message)
            exit(1)
        }
    }
}
