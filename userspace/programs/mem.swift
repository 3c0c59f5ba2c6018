// mem — shows memory: total, used by processes, free.
@main struct Main {
    static func main() {
        switch Apus.memoryInfo() {
        case .failure(let error):
            printError("mem: " + error.message)
            exit(1)
        case .success(let text):
            for line in text.fields(separator: 10) {
                let f = line.fields()
                guard f.count == 2, let value = f[1].unsignedValue else { continue }
                let shown = f[0] == "processes" ? String(value) : formatSize(value) + " (" + f[1] + " bytes)"
                print((f[0] + ":").padded(toWidth: 11, left: false) + shown)
            }
        }
    }
}
