// pong — the other end of `pingpong`: echoes every message on the channel it was started
// with until that channel is closed.
@main struct Main {
    static func main() {
        let channel = Channel.inherited(0)
        while case .success(let message) = channel.receive() {
            if let error = channel.send(message.bytes) {
                printError("pong: send: " + error.message)
                exit(1)
            }
        }
    }
}
