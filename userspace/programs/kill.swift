// kill PID… — ends processes.
@main struct Main {
    static func main() {
        let arguments = Array(commandLineArguments().dropFirst())
        if arguments.isEmpty {
            printError("usage: kill PID…")
            exit(2)
        }
        var status: Int32 = 0
        for argument in arguments {
            guard let pid = argument.integerValue, pid >= 0, pid <= Int(Int32.max) else {
                printError("kill: " + argument + ": not a process id")
                status = 1
                continue
            }
            if let error = Apus.kill(Int32(pid)) {
                printError("kill: " + argument + ": " + error.message)
                status = 1
            }
        }
        exit(status)
    }
}
