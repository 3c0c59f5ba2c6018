import ArgumentParser
import Foundation

/// `apus extract-modules --output DIR PATH…`: writes every module of spec scripts as a
/// `.wasm` file (the fuzzer's seed corpus).
public struct ExtractModulesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "extract-modules",
        abstract: "Write every module found in .wast scripts as binary files (e.g. a fuzzing corpus)."
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("Folder to write the modules to (created if missing).", valueName: "dir"))
    public var output: String

    @Argument(help: "Scripts (.wast) or folders searched recursively for them.")
    public var paths: [String]

    public init() {}

    public func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("Missing expected argument '<paths> ...'") }
    }

    public func run() throws {
        let scripts = SpecReport.scriptPaths(paths)
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            StandardError.write("error: " + output + ": cannot create: " + (error as NSError).localizedDescription + "\n")
            throw ExitCode.failure
        }
        var written = 0
        var failed = false
        for path in scripts {
            guard let data = FileManager.default.contents(atPath: path) else {
                StandardError.write("error: " + path + ": cannot read\n")
                failed = true
                continue
            }
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let modules = SpecModuleExtractor.modules(inScript: String(decoding: data, as: UTF8.self))
            for (index, module) in modules.enumerated() {
                let file = (output as NSString).appendingPathComponent(stem + "-" + String(index) + ".wasm")
                if FileManager.default.createFile(atPath: file, contents: Data(module)) {
                    written += 1
                } else {
                    StandardError.write("error: " + file + ": cannot write\n")
                    failed = true
                }
            }
        }
        print(String(written) + " modules written to " + output)
        if failed { throw ExitCode.failure }
    }
}
