import Foundation
import Testing
import WasmFrontEnd
@testable import WasmCompiler

/// Opt-in: compiles every module in `$APUS_JIT_CORPUS` (e.g. the output of
/// `apus extract-modules -o DIR wasm-spec-2.0/`) in every configuration. A module the
/// validator accepts must compile (SIMD included); one it rejects must be rejected with the
/// same error.
@Suite struct SpecCorpusCompileTests {
    static let corpus = ProcessInfo.processInfo.environment["APUS_JIT_CORPUS"]

    @Test(.enabled(if: corpus != nil), arguments: allConfigurations)
    func compilesTheCorpus(configuration: CompilerConfiguration) throws {
        let directory = URL(fileURLWithPath: Self.corpus ?? "")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".wasm") }.sorted()
        var compiled = 0, rejected = 0
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(file)))
            guard let module = try? decodeModule(bytes) else { continue }
            var validationError: WasmError?
            do { try validateModule(module) } catch { validationError = error }
            do {
                _ = try compileModule(module, configuration: configuration)
                #expect(validationError == nil, "\(file): compiled but the validator says \(validationError?.description ?? "")")
                compiled += 1
            } catch {
                #expect(validationError == error, "\(file): \(error.description) vs \(validationError?.description ?? "valid")")
                rejected += 1
            }
        }
        print("corpus: \(compiled) compiled, \(rejected) rejected")
    }
}
