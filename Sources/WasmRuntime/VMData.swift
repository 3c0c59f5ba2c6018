/// Allocates the memory compiled code reads or writes through the platform
/// (`Platform.allocateVMData`): hosted that is the heap; in the kernel it is user memory, since
/// compiled code runs in user mode. Every runtime structure reachable from a `VMContext` comes
/// from here.
struct VMDataAllocator {
    let platform: any Platform

    func allocate(byteCount: Int, alignment: Int = 16) -> UnsafeMutableRawPointer {
        guard let memory = platform.allocateVMData(byteCount: max(byteCount, 1), alignment: max(alignment, 16)) else {
            // The structures are small and bounded by the engine's limits; running out here
            // means the platform's VM data region is exhausted.
            fatalError("out of memory for VM data")
        }
        return memory
    }

    /// Zero-filled `byteCount` bytes.
    func allocateZeroed(byteCount: Int) -> UnsafeMutableRawPointer {
        let memory = allocate(byteCount: byteCount)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
        return memory
    }

    func allocate<Element>(capacity: Int, of _: Element.Type) -> UnsafeMutablePointer<Element> {
        let count = max(capacity, 1)
        return allocate(byteCount: count * MemoryLayout<Element>.stride, alignment: MemoryLayout<Element>.alignment)
            .bindMemory(to: Element.self, capacity: count)
    }

    func deallocate(_ pointer: UnsafeMutableRawPointer) { platform.deallocateVMData(pointer) }

    func deallocate<Element>(_ pointer: UnsafeMutablePointer<Element>) {
        platform.deallocateVMData(UnsafeMutableRawPointer(pointer))
    }
}
