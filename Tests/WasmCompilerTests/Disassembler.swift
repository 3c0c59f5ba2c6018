import Foundation

/// Disassembles raw x86_64 bytes with GNU objdump (Intel syntax) and returns one normalised
/// text per instruction, e.g. "add rax,rbx".
func disassemble(_ bytes: [UInt8]) throws -> [(offset: Int, text: String)] {
    let directory = FileManager.default.temporaryDirectory
    let file = directory.appendingPathComponent("apus-asm-\(UUID().uuidString).bin")
    try Data(bytes).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/objdump")
    process.arguments = ["-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", file.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    var result: [(Int, String)] = []
    for line in output.split(separator: "\n") {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count >= 3 else { continue }  // header or a continuation line of bytes
        let address = fields[0].trimmingCharacters(in: .whitespaces)
        guard address.hasSuffix(":"), let offset = Int(address.dropLast(), radix: 16) else { continue }
        let text = fields[2...].joined(separator: " ")
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        result.append((offset, text))
    }
    return result
}
