import WasmFrontEnd

/// Where a value is for a move: a register, a memory slot, or a constant to materialise.
enum X64MoveLocation: Equatable {
    case none
    case gpr(X64GPR)
    case xmm(X64XMM)
    case memory(X64Memory)
    case constant(UInt64)
}

struct X64Move {
    var destination: X64MoveLocation
    var source: X64MoveLocation
    var type: IRType
}

extension X64CodeGenerator {
    /// Performs `moves` as if all at once (block arguments, call arguments, results): a move
    /// runs once nothing still needs its destination; a cycle is broken through rax / xmm0
    /// (never the home of a value). Memory-to-memory moves go through r11 (v128: xmm15).
    mutating func emitParallelMoves(_ moves: [X64Move]) {
        var pending: [X64Move] = []
        for move in moves where move.destination != .none && move.destination != move.source {
            pending.append(move)
        }
        while !pending.isEmpty {
            var ready = -1
            for (index, move) in pending.enumerated() {
                if !pending.contains(where: { $0.source == move.destination }) {
                    ready = index
                    break
                }
            }
            if ready >= 0 {
                emitMove(pending[ready])
                pending.remove(at: ready)
                continue
            }
            let source = pending[0].source
            let type = pending[0].type
            let temporary: X64MoveLocation = type.registerClass == .integer ? .gpr(.rax) : .xmm(.xmm0)
            emitMove(X64Move(destination: temporary, source: source, type: type))
            for index in pending.indices where pending[index].source == source { pending[index].source = temporary }
        }
    }

    mutating func emitMove(_ move: X64Move) {
        if move.type == .v128 {
            switch (move.destination, move.source) {
            case (.xmm(let destination), .xmm(let source)): assembler.movaps(destination, source)
            case (.xmm(let destination), .memory(let source)): assembler.movdqu(destination, source)
            case (.memory(let destination), .xmm(let source)): assembler.movdqu(destination, source)
            case (.memory(let destination), .memory(let source)):
                assembler.movdqu(Self.scratchXMM, source)
                assembler.movdqu(destination, Self.scratchXMM)
            default:
                preconditionFailure("impossible v128 move")
            }
            return
        }
        let size: X64OperandSize = move.type == .i32 || move.type == .f32 ? .bits32 : .bits64
        let precision: X64Assembler.FloatPrecision = move.type == .f32 ? .single : .double
        switch (move.destination, move.source) {
        case (.gpr(let destination), .gpr(let source)): assembler.mov(.bits64, destination, source)
        case (.gpr(let destination), .memory(let source)): assembler.mov(size, destination, source)
        case (.gpr(let destination), .constant(let bits)): assembler.movImmediate(size, destination, bits)
        case (.gpr(let destination), .xmm(let source)): assembler.movFromXMM(size, destination, source)
        case (.xmm(let destination), .xmm(let source)): assembler.movaps(destination, source)
        case (.xmm(let destination), .memory(let source)): assembler.movFloat(precision, destination, source)
        case (.xmm(let destination), .gpr(let source)): assembler.movToXMM(size, destination, source)
        case (.xmm(let destination), .constant(let bits)):
            assembler.movImmediate(.bits64, Self.scratch, bits)
            assembler.movToXMM(size, destination, Self.scratch)
        case (.memory(let destination), .gpr(let source)): assembler.mov(.bits64, destination, source)
        case (.memory(let destination), .xmm(let source)): assembler.movFloat(precision, destination, source)
        case (.memory(let destination), .memory(let source)):
            assembler.mov(size, Self.scratch, source)
            assembler.mov(.bits64, destination, Self.scratch)
        case (.memory(let destination), .constant(let bits)):
            if size == .bits32 || (Int64(bitPattern: bits) >= Int64(Int32.min) && Int64(bitPattern: bits) <= Int64(Int32.max)) {
                assembler.mov(size == .bits32 ? .bits32 : .bits64, destination, immediate: Int32(truncatingIfNeeded: bits))
            } else {
                assembler.movImmediate(.bits64, Self.scratch, bits)
                assembler.mov(.bits64, destination, Self.scratch)
            }
        case (.none, _), (_, .none), (.constant, _):
            preconditionFailure("impossible move")
        }
    }
}
