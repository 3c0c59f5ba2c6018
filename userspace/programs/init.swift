// init — the first process: starts the shell (or the program named by its first argument) and
// restarts it when it ends abnormally (a trap, kill, or a non-zero status, e.g. `exit 1`). A
// shell that exits with status 0 (end of input, `exit`) ends the session: init exits with 0 and
// the system powers off. `shutdown` powers off at once and never returns here.
@main struct Main {
    static func main() {
        let arguments = commandLineArguments()
        let shell = arguments.count > 1 ? arguments[1] : "sh"
        var environment = environment()
        if !environment.contains(where: { $0.hasPrefix("PWD=") }) { environment.append("PWD=/") }
        var quickFailures = 0
        while true {
            let started = monotonicNanoseconds()
            let pid: Int32
            switch Apus.spawn(shell, arguments: [shell], environment: environment) {
            case .success(let spawned): pid = spawned
            case .failure(let error):
                printError("init: cannot start " + shell + ": " + error.message)
                exit(1)
            }
            let status: Int32
            switch Apus.wait(pid) {
            case .success(let code): status = code
            case .failure(let error):
                printError("init: wait: " + error.message)
                exit(1)
            }
            if status == 0 { exit(0) }
            // Give up on a shell that keeps failing at once (e.g. nothing left to read).
            quickFailures = monotonicNanoseconds() - started < 1_000_000_000 ? quickFailures + 1 : 0
            if quickFailures >= 5 {
                printError("init: " + shell + " keeps failing; stopping")
                exit(1)
            }
            printError("init: " + shell + " exited with status " + String(status) + "; restarting")
        }
    }
}
