// blk info | blk read SECTOR [COUNT] | blk write SECTOR TEXT | blk flush | blk check | blk hang — a client
// of the virtio-blk driver: it starts the driver with one end of a channel and sends it block
// requests (docs/DEVICES.md, "Block protocol"). Several commands may follow each other:
// `blk write 7 hi read 7` (one driver for all). `check` shows that blk itself may not open the
// device and has the driver try what the kernel must refuse; `hang` kills the driver while it
// waits for an interrupt (the device is reset and free again). `crash` makes the driver trap
// with the request in flight (the driver is started with `--trap-requests`): with
// `virtio-blk: restart` in etc/capabilities the kernel restarts it, the request fails with
// ECONNRESET and the next ones are served by the new instance. Kernel only (channels, devices).

func usage() -> Never {
    printError("usage: blk info | read SECTOR [COUNT] | write SECTOR TEXT | flush | check | crash  (several may follow) | hang")
    exit(2)
}

/// A sector's bytes as text: printable ASCII up to the first NUL, other bytes as '.'.
func shown(_ bytes: ArraySlice<UInt8>) -> String {
    var text: [UInt8] = []
    for byte in bytes {
        if byte == 0 { break }
        text.append(byte >= 32 && byte < 127 ? byte : UInt8(ascii: "."))
    }
    return String(decoding: text, as: UTF8.self)
}

@main struct Main {
    static func main() {
        let arguments = commandLineArguments()
        guard arguments.count > 1 else { usage() }
        var checking = false
        var crashing = false
        for word in arguments[1...] where word == "check" { checking = true }
        for word in arguments[1...] where word == "crash" { crashing = true }
        if checking {
            // Not in etc/capabilities for any device: the kernel refuses.
            if case .failure(let error) = Device.open("virtio-blk") {
                print("blk: may not open the device itself: " + error.message)
            } else {
                printError("blk: opened the device without a grant")
                exit(1)
            }
        }
        guard case .success(let (mine, theirs)) = Channel.create() else {
            printError("blk: cannot create a channel (channels need the kernel)")
            exit(1)
        }
        let hanging = arguments[1] == "hang"
        var driverArguments = hanging ? ["virtio-blk", "--wait-forever"] : checking ? ["virtio-blk", "--check-refusals"] : ["virtio-blk"]
        if crashing { driverArguments.append("--trap-requests") }
        let pid: Int32
        switch Apus.spawn("virtio-blk", arguments: driverArguments, handing: [theirs]) {
        case .success(let started): pid = started
        case .failure(let error):
            printError("blk: cannot start the driver virtio-blk: " + error.message)
            exit(1)
        }
        if hanging {
            sleep(nanoseconds: 300_000_000)
            _ = Apus.kill(pid)
            var status = "?"
            if case .success(let code) = Apus.wait(pid) { status = String(code) }
            print("blk: killed the driver while it waited for an interrupt (status " + status + ")")
            return
        }
        func ask(_ message: [UInt8]) -> [UInt8] {
            if let error = mine.send(message) {
                printError("blk: send: " + error.message)
                exit(1)
            }
            guard case .success(let reply) = mine.receive(capacity: 8 + 64 * 512), reply.bytes.count >= 8 else {
                var status = "?"
                if case .success(let code) = Apus.wait(pid) { status = String(code) }
                printError("blk: the driver did not answer (it ended with status " + status + ")")
                exit(1)
            }
            let errno = UInt16(truncatingIfNeeded: little(reply.bytes, 0, 4))
            if errno != 0 {
                printError("blk: " + Errno(errno).message)
                exit(1)
            }
            return reply.bytes
        }
        var index = 1
        func operand() -> String {
            index += 1
            guard index < arguments.count else { usage() }
            return arguments[index]
        }
        while index < arguments.count {
            let command = arguments[index]
            if command == "info" {
                let reply = ask(blockRequest(1))
                let sectors = little(reply, 8, 8)
                let flags = little(reply, 20, 4)
                var line = "blk: " + String(sectors) + " sectors of " + String(little(reply, 16, 4)) + " bytes ("
                line += formatSize(sectors * 512) + ")" + (flags & 1 != 0 ? ", flush" : "") + (flags & 2 != 0 ? ", read-only" : "")
                print(line)
            } else if command == "read" {
                guard let sector = operand().unsignedValue else { usage() }
                var count: UInt64 = 1
                if index + 1 < arguments.count, let number = arguments[index + 1].unsignedValue {
                    count = number
                    index += 1
                }
                let reply = ask(blockRequest(2, sector: sector, count: UInt32(truncatingIfNeeded: count)))
                for part in 0..<Int(count) {
                    let start = 8 + part * 512
                    var sum: UInt32 = 0
                    for byte in reply[start..<start + 512] { sum = sum &* 31 &+ UInt32(byte) }
                    print("sector " + String(sector + UInt64(part)) + ": " + shown(reply[start..<start + 512])
                          + " (hash " + String(sum) + ")")
                }
            } else if command == "write" {
                guard let sector = operand().unsignedValue else { usage() }
                var data = Array(operand().utf8)
                guard data.count <= 512 else {
                    printError("blk: TEXT is longer than a sector")
                    exit(2)
                }
                data += [UInt8](repeating: 0, count: 512 - data.count)
                _ = ask(blockRequest(3, sector: sector, count: 1, data: data))
                _ = ask(blockRequest(4))
                print("blk: wrote sector " + String(sector))
            } else if command == "flush" {
                _ = ask(blockRequest(4))
                print("blk: flushed")
            } else if command == "crash" {
                if let error = mine.send(blockRequest(255)) {
                    printError("blk: send: " + error.message)
                    exit(1)
                }
                switch mine.receive(capacity: 8 + 64 * 512) {
                case .failure(let error):
                    print("blk: the driver trapped with the request in flight: " + error.message)
                case .success:
                    printError("blk: the driver answered the trap request")
                    exit(1)
                }
            } else if command == "check" {
                // Done by the driver at its start (--check-refusals); a request shows it still serves.
                _ = ask(blockRequest(1))
                print("blk: the driver still serves after the refusals")
            } else {
                usage()
            }
            index += 1
        }
        mine.close()  // the driver sees the channel closed, resets the device and ends
        let status = Apus.wait(pid)
        if case .success(let code) = status, code != 0 {
            printError("blk: the driver ended with status " + String(code))
            exit(1)
        }
    }
}
