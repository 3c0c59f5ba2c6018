import WasmFrontEnd
import WasmRuntime

/// The arguments of one preview 1 call (types were checked by the runtime).
struct WASIArguments {
    let values: [Value]

    func u32(_ index: Int) -> UInt32 {
        guard index < values.count, case .i32(let bits) = values[index] else { return 0 }
        return bits
    }

    func u64(_ index: Int) -> UInt64 {
        guard index < values.count, case .i64(let bits) = values[index] else { return 0 }
        return bits
    }
}

/// A preview 1 function body: reads its arguments, returns nothing or throws the errno.
typealias WASIFunctionBody = @Sendable (WASIContext, GuestMemory, WASIArguments) throws(WASIErrno) -> Void

extension WASIContext {
    /// The preview 1 functions: name, parameter signature (`i` = i32, `I` = i64), body.
    /// Every function returns an errno (i32) except `proc_exit`.
    static let functions: [(name: String, signature: String, body: WASIFunctionBody)] = [
        ("args_get", "ii", { c, m, a throws(WASIErrno) in try c.argsGet(m, a) }),
        ("args_sizes_get", "ii", { c, m, a throws(WASIErrno) in try c.argsSizesGet(m, a) }),
        ("environ_get", "ii", { c, m, a throws(WASIErrno) in try c.environGet(m, a) }),
        ("environ_sizes_get", "ii", { c, m, a throws(WASIErrno) in try c.environSizesGet(m, a) }),
        ("clock_res_get", "ii", { c, m, a throws(WASIErrno) in try c.clockResGet(m, a) }),
        ("clock_time_get", "iIi", { c, m, a throws(WASIErrno) in try c.clockTimeGet(m, a) }),
        ("fd_advise", "iIIi", { c, m, a throws(WASIErrno) in try c.fdAdvise(m, a) }),
        ("fd_allocate", "iII", { c, m, a throws(WASIErrno) in try c.fdAllocate(m, a) }),
        ("fd_close", "i", { c, m, a throws(WASIErrno) in try c.fdClose(m, a) }),
        ("fd_datasync", "i", { c, m, a throws(WASIErrno) in try c.fdSync(m, a, dataOnly: true) }),
        ("fd_fdstat_get", "ii", { c, m, a throws(WASIErrno) in try c.fdFdstatGet(m, a) }),
        ("fd_fdstat_set_flags", "ii", { c, m, a throws(WASIErrno) in try c.fdFdstatSetFlags(m, a) }),
        ("fd_fdstat_set_rights", "iII", { c, m, a throws(WASIErrno) in try c.fdFdstatSetRights(m, a) }),
        ("fd_filestat_get", "ii", { c, m, a throws(WASIErrno) in try c.fdFilestatGet(m, a) }),
        ("fd_filestat_set_size", "iI", { c, m, a throws(WASIErrno) in try c.fdFilestatSetSize(m, a) }),
        ("fd_filestat_set_times", "iIIi", { c, m, a throws(WASIErrno) in try c.fdFilestatSetTimes(m, a) }),
        ("fd_pread", "iiiIi", { c, m, a throws(WASIErrno) in try c.fdRead(m, a, positional: true) }),
        ("fd_prestat_get", "ii", { c, m, a throws(WASIErrno) in try c.fdPrestatGet(m, a) }),
        ("fd_prestat_dir_name", "iii", { c, m, a throws(WASIErrno) in try c.fdPrestatDirName(m, a) }),
        ("fd_pwrite", "iiiIi", { c, m, a throws(WASIErrno) in try c.fdWrite(m, a, positional: true) }),
        ("fd_read", "iiii", { c, m, a throws(WASIErrno) in try c.fdRead(m, a, positional: false) }),
        ("fd_readdir", "iiiIi", { c, m, a throws(WASIErrno) in try c.fdReaddir(m, a) }),
        ("fd_renumber", "ii", { c, m, a throws(WASIErrno) in try c.fdRenumber(m, a) }),
        ("fd_seek", "iIii", { c, m, a throws(WASIErrno) in try c.fdSeek(m, a) }),
        ("fd_sync", "i", { c, m, a throws(WASIErrno) in try c.fdSync(m, a, dataOnly: false) }),
        ("fd_tell", "ii", { c, m, a throws(WASIErrno) in try c.fdTell(m, a) }),
        ("fd_write", "iiii", { c, m, a throws(WASIErrno) in try c.fdWrite(m, a, positional: false) }),
        ("path_create_directory", "iii", { c, m, a throws(WASIErrno) in try c.pathCreateDirectory(m, a) }),
        ("path_filestat_get", "iiiii", { c, m, a throws(WASIErrno) in try c.pathFilestatGet(m, a) }),
        ("path_filestat_set_times", "iiiiIIi",
         { c, m, a throws(WASIErrno) in try c.pathFilestatSetTimes(m, a) }),
        ("path_link", "iiiiiii", { c, m, a throws(WASIErrno) in try c.pathLink(m, a) }),
        ("path_open", "iiiiiIIii", { c, m, a throws(WASIErrno) in try c.pathOpen(m, a) }),
        ("path_readlink", "iiiiii", { c, m, a throws(WASIErrno) in try c.pathReadlink(m, a) }),
        ("path_remove_directory", "iii", { c, m, a throws(WASIErrno) in try c.pathRemoveDirectory(m, a) }),
        ("path_rename", "iiiiii", { c, m, a throws(WASIErrno) in try c.pathRename(m, a) }),
        ("path_symlink", "iiiii", { c, m, a throws(WASIErrno) in try c.pathSymlink(m, a) }),
        ("path_unlink_file", "iii", { c, m, a throws(WASIErrno) in try c.pathUnlinkFile(m, a) }),
        ("poll_oneoff", "iiii", { c, m, a throws(WASIErrno) in try c.pollOneoff(m, a) }),
        ("proc_raise", "i", { _, _, _ throws(WASIErrno) in throw .noSys }),
        ("sched_yield", "", { c, _, _ throws(WASIErrno) in c.clock.sleep(nanoseconds: 0) }),
        ("random_get", "ii", { c, m, a throws(WASIErrno) in try c.randomGet(m, a) }),
        ("sock_accept", "iii", { c, m, a throws(WASIErrno) in try c.socketCall(a) }),
        ("sock_recv", "iiiiii", { c, m, a throws(WASIErrno) in try c.socketCall(a) }),
        ("sock_send", "iiiii", { c, m, a throws(WASIErrno) in try c.socketCall(a) }),
        ("sock_shutdown", "ii", { c, m, a throws(WASIErrno) in try c.socketCall(a) }),
    ]

    /// Defines every `wasi_snapshot_preview1` function in `linker`, bound to this context;
    /// `hook` runs around each call (except `proc_exit`).
    public func define(in linker: Linker, store: Store, hook: (any WASICallHook)? = nil) {
        let module = WASIPreview1.moduleName
        for function in WASIContext.functions {
            let parameters: [ValueType] = function.signature.utf8.map { $0 == UInt8(ascii: "I") ? .i64 : .i32 }
            let body = function.body
            let type = FunctionType(parameters: parameters, results: [.i32])
            linker.defineFunction(store: store, module: module, name: function.name, type: type) {
                [self] _, values throws(Trap) in
                hook?.enter()
                let errno = self.call(body, values)
                try hook?.leave()
                guard let errno else { throw Trap(message: "WASI: the module does not export its memory") }
                return [.i32(UInt32(errno.rawValue))]
            }
        }
        let exitType = FunctionType(parameters: [.i32], results: [])
        linker.defineFunction(store: store, module: module, name: "proc_exit", type: exitType) {
            [self] _, values throws(Trap) in
            throw self.exit(WASIArguments(values: values).u32(0))
        }
    }

    /// Runs one function body against the bound memory; its errno (success when it returns),
    /// nil if the module exports no memory (the call then traps: there is nothing to check
    /// pointers against).
    private func call(_ body: WASIFunctionBody, _ values: [Value]) -> WASIErrno? {
        guard let memory else { return nil }
        do throws(WASIErrno) {
            try body(self, GuestMemory(memory), WASIArguments(values: values))
            return .success
        } catch {
            return error
        }
    }
}

/// Runs around every preview 1 call of a context (`WASIContext.define(in:store:hook:)`): the
/// kernel serialises the calls of all programs with one lock (its file system is shared) and
/// ends a program that was killed while it waited in a call.
public protocol WASICallHook: AnyObject {
    /// Before the function body runs.
    func enter()
    /// After it returned; a trap thrown here ends the calling program.
    func leave() throws(Trap)
}
