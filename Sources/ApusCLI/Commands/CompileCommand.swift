import ArgumentParser
import Foundation
import WasmCompiler
import WasmFrontEnd

/// `apus compile --emit ir FILE.wasm [--function N]`: shows what the optimising tier makes of
/// a module's functions.
public struct CompileCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Show the optimising tier's IR of a module's functions.",
        discussion: """
            --emit ir prints the SSA IR after the pass pipeline (--passes none: straight from the \
            translation); --emit allocation adds each value's register or stack slot. The IR verifier \
            runs after every pass.
            """
    )

    public enum Emit: String, ExpressibleByArgument { case ir, allocation }

    @Argument(help: "A .wasm module.")
    public var file: String

    @Option(help: ArgumentHelp("What to print: ir or allocation.", valueName: "ir|allocation"))
    public var emit: Emit = .ir

    @Option(help: ArgumentHelp("Only this function (its index, imports included).", valueName: "n"))
    public var function: UInt32?

    @Option(help: ArgumentHelp("With --function: the on-stack-replacement entry into the loop at this byte offset (a `loop` instruction's offset in the module).", valueName: "offset"))
    public var osrLoop: UInt32?

    @Option(help: ArgumentHelp("standard (the tier's pipeline) or none.", valueName: "standard|none"))
    public var passes: String = "standard"

    @Flag(help: "Translate with explicit bounds checks (as the explicit configuration does).")
    public var explicitBoundsChecks = false

    public init() {}

    public func validate() throws {
        guard passes == "standard" || passes == "none" else { throw ValidationError("--passes must be standard or none") }
        if osrLoop != nil && function == nil { throw ValidationError("--osr-loop needs --function") }
    }

    public func run() throws {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw ValidationError(file + ": cannot read: " + (error as NSError).localizedDescription)
        }
        let module: Module
        let context: ValidationContext
        do throws(WasmError) {
            module = try decodeModule(bytes)
            context = try ValidationContext(validating: module)
        } catch {
            print(file + ": " + error.description)
            throw ExitCode.failure
        }
        let configuration = CompilerConfiguration(boundsChecks: explicitBoundsChecks ? .explicit : .guardRegion,
                                                  tier: .optimizing, verifyIR: true)
        let pipeline = PassPipeline(passes: passes == "none" ? [] : PassPipeline.standard, verifyEachPass: true)
        var found = false
        for (position, body) in module.functionBodies.enumerated() {
            let index = UInt32(context.importedFunctionCount + position)
            if let function, function != index { continue }
            found = true
            do throws(WasmError) {
                let ir: IRFunction
                if let osrLoop {
                    ir = try buildOSREntryIR(module: module, context: context, configuration: configuration,
                                             definedIndex: position, loopOffset: osrLoop, pipeline: pipeline)
                } else {
                    ir = try buildOptimizedIR(module: module, context: context, configuration: configuration,
                                              body: body, functionIndex: index, pipeline: pipeline)
                }
                print(ir.textualForm, terminator: "")
                if emit == .allocation {
                    let allocation = allocateRegisters(ir, registers: X64RegisterFile.allocatable)
                    print(Self.describe(allocation, ir))
                }
            } catch {
                print("function \(index): " + error.description)
            }
        }
        if !found, let function {
            throw ValidationError("no defined function \(function) (imports: \(context.importedFunctionCount), defined: \(module.functionBodies.count))")
        }
    }

    static func describe(_ allocation: RegisterAllocation, _ function: IRFunction) -> String {
        var lines: [String] = []
        for (index, location) in allocation.locations.enumerated() {
            switch location {
            case .none: continue
            case .register(let registerClass, let number):
                lines.append("  v\(index) → " + (registerClass == .integer ? "r" : "f") + String(number))
            case .stack(let slot): lines.append("  v\(index) → slot \(slot)")
            case .constant(let bits): lines.append("  v\(index) → constant 0x" + String(bits, radix: 16))
            }
        }
        return "allocation: \(allocation.registerCount) in registers, \(allocation.pressureSpills) spilled for pressure, "
            + "\(allocation.callSpills) live across calls, \(allocation.spillSlotCount) stack slots\n" + lines.joined(separator: "\n")
    }
}
