// spin [SECONDS] — burns CPU forever (or for SECONDS), for scheduler and kill tests.
nonisolated(unsafe) var counter: UInt64 = 0

@main struct Main {
    static func main() {
        let arguments = commandLineArguments()
        let seconds = arguments.count > 1 ? arguments[1].integerValue : nil
        let end = seconds.map { monotonicNanoseconds() + UInt64(max($0, 0)) * 1_000_000_000 }
        while true {
            counter &+= 1
            if let end, counter & 0xFFFF == 0, monotonicNanoseconds() >= end { break }
        }
        print("spun " + String(counter))
    }
}
