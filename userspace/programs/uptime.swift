// uptime — time since the system started.
@main struct Main {
    static func main() {
        let nanoseconds = Apus.uptimeNanoseconds
        let milliseconds = nanoseconds / 1_000_000
        let seconds = milliseconds / 1000
        var text = "up "
        if seconds >= 3600 { text += String(seconds / 3600) + "h " }
        if seconds >= 60 { text += String(seconds / 60 % 60) + "m " }
        let fraction = String(milliseconds % 1000)
        text += String(seconds % 60) + "." + String(repeating: "0", count: 3 - fraction.utf8.count) + fraction + "s"
        print(text)
    }
}
