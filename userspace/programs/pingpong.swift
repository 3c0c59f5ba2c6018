// pingpong [N] — N round trips (default 1000) over a channel to the process `pong`, which it
// starts with the channel's other end; prints the time per round trip. Kernel only (channels).
@main struct Main {
    static func main() {
        let arguments = commandLineArguments()
        let count = arguments.count > 1 ? max(arguments[1].integerValue ?? 1000, 1) : 1000
        guard case .success(let (mine, theirs)) = Channel.create() else {
            printError("pingpong: cannot create a channel (channels need the kernel)")
            exit(1)
        }
        let pid: Int32
        switch Apus.spawn("pong", arguments: ["pong"], handing: [theirs]) {
        case .success(let started): pid = started
        case .failure(let error):
            printError("pingpong: cannot start pong: " + error.message)
            exit(1)
        }
        let message: [UInt8] = Array("ping".utf8)
        let start = monotonicNanoseconds()
        for _ in 0..<count {
            if let error = mine.send(message) {
                printError("pingpong: send: " + error.message)
                exit(1)
            }
            guard case .success(let reply) = mine.receive(), reply.bytes == message else {
                printError("pingpong: no echo from pong")
                exit(1)
            }
        }
        let elapsed = monotonicNanoseconds() - start
        mine.close()  // pong sees the channel closed and ends
        _ = Apus.wait(pid)
        let total = String(elapsed / 1000)
        let each = String(elapsed / UInt64(count) / 1000)
        var line = "pingpong: " + String(count) + " round trips in " + total
        line += " us (" + each + " us each)"
        print(line)
    }
}
