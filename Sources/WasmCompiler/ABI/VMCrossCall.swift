/// Cross-program calls: the contract between the cross-call trampoline (generated per import,
/// `compileCrossCallTrampoline`) and the runtime that wires programs together.
///
/// A program A that imports a function of a *service* B calls it like any other import: A's
/// `VMFuncRef` for the import has the trampoline as `code` and a `VMCrossCallContext` as
/// `vmctx`. The trampoline
/// 1. returns status `serviceFailed` at once if B's `VMServiceState` says B failed, or
///    `serviceBusy` if B is running a call already (then marks it busy until the call ends,
///    atomically: callers on other CPUs see `serviceBusy`, never a second entry);
/// 2. checks every buffer argument (pointer + length, 32-bit each) against A's memory 0 and the
///    total against B's buffer area, and returns `bufferOutOfBounds`/`bufferTooLarge` without
///    touching B;
/// 3. sets up a *trap boundary* without any runtime call: it saves the current activation's
///    `entryStackPointer` (the activation is found through `VMStoreContext.activation`), pushes
///    the callee-saved registers like the entry trampoline does and stores its own stack pointer
///    there. A trap in B is resumed by B's trap exit (pop callee-saved registers, `ret`), which
///    lands back in the trampoline with the trap kind; the trampoline restores the saved
///    `entryStackPointer`, marks B failed and returns status `trapped | kind` to A. When B
///    lives in another store (the kernel gives each service its own), the trampoline copies
///    A's store `activation` and `stackLimit` into B's store context first, so B's stack checks
///    and B's own cross-program calls work on A's stack and activation;
/// 4. copies input buffers from A's memory into B's buffer area, rewrites the pointer arguments
///    to their addresses in B, switches the context register to B's `VMContext` (B's prologue
///    loads its memory base) and calls B's code directly;
/// 5. copies output buffers back into A's memory and B's results into A's result slots.
///
/// Signature: if B's export has type `(P…) -> (R…)`, A imports it as `(P…) -> (i32, R…)`:
/// the first result is the status (0: success), the others are B's results (zero on error).
/// Or, for toolchains without multi-value returns, as `(P…, results_ptr: i32) -> i32`: the
/// status is the only result and B's results are stored at `results_ptr` in A's memory 0
/// (8 bytes per slot; a range outside the memory is `bufferOutOfBounds`, and nothing is stored
/// on error). A's own state is never touched on error.
public enum VMCrossCallContextLayout {
    /// Code address of the callee (B's function).
    public static let calleeCode = 0
    /// The callee's `VMContext`.
    public static let calleeVMContext = 8
    /// The `VMStoreContext` whose `activation` field names the activation to rewrite.
    public static let storeContext = 16
    /// Pointer to the callee service's `VMServiceState` (shared by every importer).
    public static let serviceState = 24
    /// `VMMemory` of the caller's memory 0 (null if the import has no buffers).
    public static let callerMemory = 32
    /// `VMMemory` of the callee's memory 0 (null if the import has no buffers).
    public static let calleeMemory = 40
    /// UInt64: offset of the buffer area in the callee's memory 0. The runtime guarantees that
    /// `bufferAreaOffset + bufferAreaCapacity` is within the callee's memory and below 2^32.
    public static let bufferAreaOffset = 48
    /// UInt64: bytes available in the buffer area.
    public static let bufferAreaCapacity = 56
    /// The callee's `VMStoreContext` (the same as `storeContext` when both share a store).
    public static let calleeStoreContext = 64
    public static let size = 72
}

/// Per-service state the trampolines read and write.
public enum VMServiceStateLayout {
    /// UInt32: 0 running, 1 failed (a call trapped; calls return `serviceFailed`).
    public static let failed = 0
    /// UInt32: the `TrapKind` raw value of the trap that failed the service.
    public static let trapKind = 4
    /// UInt32: 1 while a call into the service runs. A service is never re-entered (the
    /// resolver refuses cycles; a host function could still call back): such calls return
    /// `serviceBusy`, which also protects the buffer area.
    public static let busy = 8
    public static let size = 16
}

/// The status a cross-program call returns to its caller as its first result.
public enum CrossCallStatus {
    public static let success: UInt32 = 0
    /// The service failed on an earlier call; it was not called.
    public static let serviceFailed: UInt32 = 1
    /// A buffer argument lies outside the caller's memory; the service was not called.
    public static let bufferOutOfBounds: UInt32 = 2
    /// The buffers together exceed the service's buffer area; the service was not called.
    public static let bufferTooLarge: UInt32 = 3
    /// The service is already running a call (re-entered through the host); it was not called.
    public static let serviceBusy: UInt32 = 4
    /// Added to a `TrapKind` raw value: the service trapped during this call (and is now failed).
    public static let trapped: UInt32 = 0x100
}

/// Direction of a buffer argument of a cross-program call.
public enum CrossCallBufferDirection: UInt8, Equatable, Sendable {
    /// Copied from the caller's memory into the callee's before the call.
    case input
    /// Copied from the callee's memory back into the caller's after the call.
    case output
    /// Both.
    case inputOutput

    public var copiesIn: Bool { self != .output }
    public var copiesOut: Bool { self != .input }
}

/// One buffer argument: the argument slots holding its pointer and its length.
public struct CrossCallBuffer: Equatable, Sendable {
    public var pointerSlot: Int
    public var lengthSlot: Int
    public var direction: CrossCallBufferDirection

    public init(pointerSlot: Int, lengthSlot: Int, direction: CrossCallBufferDirection) {
        self.pointerSlot = pointerSlot
        self.lengthSlot = lengthSlot
        self.direction = direction
    }
}

/// What a trampoline is specialised for: slot counts (8-byte argument/result slots, a v128
/// counting twice) of the callee's type and its buffer arguments.
public struct CrossCallShape: Equatable, Sendable {
    public var parameterSlots: Int
    public var resultSlots: Int
    public var buffers: [CrossCallBuffer]
    /// The caller's slot holding `results_ptr` when it imported the function as
    /// `(P…, results_ptr) -> status`: the callee's results are written to the caller's memory 0
    /// at that offset, 8 bytes per slot (checked first: `bufferOutOfBounds`), not returned.
    public var resultsPointerSlot: Int?

    public init(parameterSlots: Int, resultSlots: Int, buffers: [CrossCallBuffer] = [], resultsPointerSlot: Int? = nil) {
        self.parameterSlots = parameterSlots
        self.resultSlots = resultSlots
        self.buffers = buffers
        self.resultsPointerSlot = resultsPointerSlot
    }

    /// Slots the callee needs at its call: max(params, results).
    public var calleeSlots: Int { max(parameterSlots, resultSlots) }
}
