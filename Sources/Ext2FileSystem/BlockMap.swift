// The classic block map: 12 direct pointers, then one single-, one double- and one
// triple-indirect tree. Pointers of 0 are holes. Every pointer read is range-checked, and the
// depth is fixed, so a corrupt map can give `corrupt` but never a loop.

extension Ext2FileSystem {
    /// The slot in the inode and the indices through the indirect blocks of logical block `index`.
    func mapPath(_ index: UInt64) throws(Ext2Error) -> (slot: Int, indices: [Int]) {
        let perBlock = UInt64(pointersPerBlock)
        var rest = index
        if rest < UInt64(Inode.directBlocks) { return (Int(rest), []) }
        rest -= UInt64(Inode.directBlocks)
        if rest < perBlock { return (Inode.singleIndirect, [Int(rest)]) }
        rest -= perBlock
        if rest < perBlock * perBlock { return (Inode.doubleIndirect, [Int(rest / perBlock), Int(rest % perBlock)]) }
        rest -= perBlock * perBlock
        if rest < perBlock * perBlock * perBlock {
            return (Inode.tripleIndirect, [Int(rest / (perBlock * perBlock)), Int(rest / perBlock % perBlock), Int(rest % perBlock)])
        }
        throw .fileTooLarge
    }

    /// The largest file size: what the map reaches, at most 4 GiB − 1 (2 GiB − 1 without large_file).
    var maximumFileSize: UInt64 {
        let perBlock = UInt64(pointersPerBlock)
        let blocks = UInt64(Inode.directBlocks) + perBlock + perBlock * perBlock + perBlock * perBlock * perBlock
        let limit: UInt64 = superblock.readOnlyCompatibleFeatures & Features.readOnlyLargeFile != 0 ? 0xFFFF_FFFF : 0x7FFF_FFFF
        return min(blocks * UInt64(blockSize), limit)
    }

    /// The physical block of logical block `index` of `inode`, 0 for a hole.
    mutating func mappedBlock(_ inode: Inode, _ index: UInt64) throws(Ext2Error) -> UInt32 {
        let (slot, indices) = try mapPath(index)
        var pointer = inode.block(slot)
        for position in indices {
            if pointer == 0 { return 0 }
            guard isDataBlock(pointer) else { throw .corrupt(.blockOutOfRange(pointer)) }
            pointer = try readBlock(pointer).u32(4 * position)
        }
        guard pointer == 0 || isDataBlock(pointer) else { throw .corrupt(.blockOutOfRange(pointer)) }
        return pointer
    }

    /// The physical block of logical block `index`, allocating it (and the indirect blocks on
    /// its path, zeroed) if it is a hole. `fresh`: just allocated, its contents undefined.
    mutating func allocatedBlock(_ inode: inout Inode, number: UInt32, _ index: UInt64)
        throws(Ext2Error) -> (block: UInt32, fresh: Bool)
    {
        let (slot, indices) = try mapPath(index)
        let preferredGroup = group(ofInode: number)
        let sectorsPerBlock = UInt32(blockSize / 512)
        var pointer = inode.block(slot)
        var fresh = false
        if pointer == 0 {
            pointer = try allocateBlock(preferredGroup: preferredGroup)
            inode.sectors += sectorsPerBlock
            inode.setBlock(slot, pointer)
            fresh = true
            if !indices.isEmpty { try writeBlock(pointer, [UInt8](repeating: 0, count: blockSize)) }
        }
        for (level, position) in indices.enumerated() {
            guard isDataBlock(pointer) else { throw .corrupt(.blockOutOfRange(pointer)) }
            let parent = pointer
            var table = fresh ? [UInt8](repeating: 0, count: blockSize) : try readBlock(parent)
            pointer = table.u32(4 * position)
            fresh = false
            if pointer == 0 {
                pointer = try allocateBlock(preferredGroup: preferredGroup)
                inode.sectors += sectorsPerBlock
                fresh = true
                // A new indirect block is zeroed before anything points to it, so a later
                // failure (no space) never leaves garbage pointers in the map.
                if level < indices.count - 1 { try writeBlock(pointer, [UInt8](repeating: 0, count: blockSize)) }
                table.setU32(4 * position, pointer)
                try writeBlock(parent, table)
            }
        }
        guard isDataBlock(pointer) else { throw .corrupt(.blockOutOfRange(pointer)) }
        return (pointer, fresh)
    }

    /// Frees every block of `inode` holding logical blocks ≥ `keep`, and indirect blocks left empty.
    mutating func freeBlocks(of inode: inout Inode, keepingFirst keep: UInt64) throws(Ext2Error) {
        let perBlock = UInt64(pointersPerBlock)
        for slot in 0..<Inode.directBlocks where UInt64(slot) >= keep {
            let pointer = inode.block(slot)
            if pointer != 0 {
                _ = try release(pointer, depth: 0, first: UInt64(slot), keep: keep, inode: &inode)
                inode.setBlock(slot, 0)
            }
        }
        var first = UInt64(Inode.directBlocks)
        var span = perBlock
        for (slot, depth) in [(Inode.singleIndirect, 1), (Inode.doubleIndirect, 2), (Inode.tripleIndirect, 3)] {
            let pointer = inode.block(slot)
            if pointer != 0, try release(pointer, depth: depth, first: first, keep: keep, inode: &inode) {
                inode.setBlock(slot, 0)
            }
            first += span
            span *= perBlock
        }
    }

    /// Frees what the subtree at `pointer` (`depth` 0: a data block) maps at logical blocks
    /// ≥ `keep`; the subtree starts at logical block `first`. Returns whether all of it went.
    mutating func release(_ pointer: UInt32, depth: Int, first: UInt64, keep: UInt64, inode: inout Inode)
        throws(Ext2Error) -> Bool
    {
        guard isDataBlock(pointer) else { throw .corrupt(.blockOutOfRange(pointer)) }
        var span: UInt64 = 1
        for _ in 0..<depth { span *= UInt64(pointersPerBlock) }
        if first + span <= keep { return false }
        if depth > 0 {
            var table = try readBlock(pointer)
            var changed = false
            let childSpan = span / UInt64(pointersPerBlock)
            for position in 0..<pointersPerBlock {
                let child = table.u32(4 * position)
                guard child != 0 else { continue }
                if try release(child, depth: depth - 1, first: first + UInt64(position) * childSpan, keep: keep, inode: &inode) {
                    table.setU32(4 * position, 0)
                    changed = true
                }
            }
            if first < keep {
                if changed { try writeBlock(pointer, table) }
                return false
            }
        }
        try freeBlock(pointer)
        let sectorsPerBlock = UInt32(blockSize / 512)
        guard inode.sectors >= sectorsPerBlock else { throw .corrupt(.inode(0)) }
        inode.sectors -= sectorsPerBlock
        return true
    }
}
