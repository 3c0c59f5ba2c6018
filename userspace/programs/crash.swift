// crash [unreachable|memory|stack] — traps on purpose (for tests): an unreachable instruction
// (the default), a load outside linear memory, or unbounded recursion.
@main struct Main {
    static func main() {
        let arguments = commandLineArguments()
        let how = arguments.count > 1 ? arguments[1] : "unreachable"
        if how == "memory" {
            let address = UnsafePointer<UInt32>(bitPattern: UInt(0xFFFF_FFF0) - UInt(arguments.count))!
            print(String(address.pointee))
        } else if how == "stack" {
            print(String(recurse(UInt32(arguments.count))))
        } else {
            print("crashing")
            fatalError()
        }
    }

    @inline(never)
    static func recurse(_ depth: UInt32) -> UInt32 {
        var frame = [UInt32](repeating: depth, count: 4)  // keeps the frame from being folded
        frame[Int(depth & 3)] = recurse(depth &+ 1) &+ 1
        return frame[0] &+ frame[1]
    }
}
