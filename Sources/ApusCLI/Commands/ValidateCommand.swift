import ArgumentParser
import WasmFrontEnd

/// `apus validate FILE.wasm…`: decodes and validates each module.
public struct ValidateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Decode and validate WebAssembly modules.",
        discussion: "Prints 'FILE: valid' or 'FILE: 0xOFFSET: message' for each file; exits 1 if any is invalid or unreadable."
    )

    @Argument(help: "Binary WebAssembly modules (.wasm).")
    public var files: [String]

    public init() {}

    public func validate() throws {
        guard !files.isEmpty else { throw ValidationError("Missing expected argument '<files> ...'") }
    }

    public func run() throws {
        var allValid = true
        for path in files {
            let line = Self.check(path: path)
            switch line {
            case .valid(let text), .invalid(let text): StandardOutput.write(text + "\n")
            case .unreadable(let text): StandardError.write("error: " + text + "\n")
            }
            if case .valid = line {} else { allValid = false }
        }
        if !allValid { throw ExitCode.failure }
    }

    /// The result line for one file.
    public enum Line: Equatable {
        case valid(String)
        case invalid(String)
        /// The file could not be read; the text names it and says why.
        case unreadable(String)
    }

    /// Checks one file and formats its line.
    public static func check(path: String) -> Line {
        let bytes: [UInt8]
        do throws(UnreadableFile) {
            bytes = try ModuleInput.readBytes(atPath: path)
        } catch {
            return .unreadable(error.description)
        }
        return check(bytes: bytes, name: path)
    }

    /// Checks a module already in memory and formats its line.
    public static func check(bytes: [UInt8], name: String) -> Line {
        switch ModuleInput.check(bytes) {
        case .success: return .valid(name + ": valid")
        case .failure(let error): return .invalid(name + ": " + error.description)
        }
    }
}
