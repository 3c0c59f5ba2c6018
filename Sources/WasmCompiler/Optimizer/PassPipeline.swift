import WasmFrontEnd

/// The optimising tier's pass pipeline. `verifyEachPass` runs the IR verifier after every
/// pass (the tests do; compilation in production does not).
public struct PassPipeline: Sendable {
    public enum Pass: String, CaseIterable, Sendable {
        case simplifyBlockParameters, foldConstants, numberValues, hoistLoopInvariants, eliminateDeadCode
    }

    public var passes: [Pass]
    public var verifyEachPass: Bool

    public static let standard: [Pass] = [
        .simplifyBlockParameters, .foldConstants, .eliminateDeadCode, .simplifyBlockParameters,
        .numberValues, .hoistLoopInvariants, .eliminateDeadCode,
    ]

    public init(passes: [Pass] = PassPipeline.standard, verifyEachPass: Bool = false) {
        self.passes = passes
        self.verifyEachPass = verifyEachPass
    }

    /// Runs the passes; with `verifyEachPass`, throws the first verifier error, naming the pass.
    public func run(_ function: inout IRFunction, immutableGlobals: [Bool]) throws(IRVerificationError) {
        removeUnreachableBlocks(&function)
        if verifyEachPass { try verify(function, after: "translation") }
        for pass in passes {
            switch pass {
            case .simplifyBlockParameters: simplifyBlockParameters(&function)
            case .foldConstants: foldConstants(&function)
            case .numberValues: numberValues(&function, immutableGlobals: immutableGlobals)
            case .hoistLoopInvariants: hoistLoopInvariants(&function)
            case .eliminateDeadCode: eliminateDeadCode(&function)
            }
            if verifyEachPass { try verify(function, after: pass.rawValue) }
        }
    }

    private func verify(_ function: IRFunction, after pass: String) throws(IRVerificationError) {
        do {
            try function.verify()
        } catch {
            throw IRVerificationError("after \(pass): \(error.message)")
        }
    }
}
