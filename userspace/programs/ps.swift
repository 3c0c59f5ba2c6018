// ps — lists processes: pid, parent, state, linear memory, all memory committed for it (linear
// memory, code, VM data, stack; the kernel's sixth field), name.
@main struct Main {
    static func main() {
        switch Apus.processList() {
        case .failure(let error):
            printError("ps: " + error.message)
            exit(1)
        case .success(let text):
            print("  PID  PPID STATE      MEMORY   TOTAL NAME")
            for line in text.fields(separator: 10) {
                let f = line.fields()
                guard f.count >= 5 else { continue }
                let memory = formatSize(f[3].unsignedValue ?? 0)
                let total = f.count >= 6 ? formatSize(f[5].unsignedValue ?? 0) : "-"
                print(f[0].padded(toWidth: 5) + f[1].padded(toWidth: 6) + " " + f[2].padded(toWidth: 8, left: false)
                      + memory.padded(toWidth: 8) + total.padded(toWidth: 8) + " " + f[4])
            }
        }
    }
}
