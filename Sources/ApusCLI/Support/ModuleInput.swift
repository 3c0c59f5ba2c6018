import Foundation
import WasmFrontEnd

/// A file the tool was asked to read but could not.
public struct UnreadableFile: Error, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "\(path): cannot read: \(reason)" }
}

/// Reading files named on the command line, with errors that name the file.
public enum ModuleInput {
    /// Reads a whole file as bytes.
    public static func readBytes(atPath path: String) throws(UnreadableFile) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw UnreadableFile(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw UnreadableFile(path: path, reason: "is a directory")
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return [UInt8](data)
        } catch {
            throw UnreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Decodes and validates a module: "valid" means both succeed. Body-level malformations
    /// surface from `validateModule` with phase `.decoding`; they are reported as they come.
    public static func check(_ bytes: [UInt8]) -> Result<Module, WasmError> {
        do throws(WasmError) {
            let module = try decodeModule(bytes)
            try validateModule(module)
            return .success(module)
        } catch {
            return .failure(error)
        }
    }
}

/// Writes to standard error (diagnostics and progress, never results).
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Writes to standard output unbuffered, so results appear as each script finishes.
enum StandardOutput {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
