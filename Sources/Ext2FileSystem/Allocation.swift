// Block and inode bitmaps. Every allocation or release updates the bitmap on disk at once and
// the group's and superblock's counters in memory (written by `sync`). A counter that claims
// free space its bitmap does not have, or a bit already clear when freed, is `corrupt`.

extension Ext2FileSystem {
    func blocksInGroup(_ group: Int) -> Int {
        let dataBlocks = superblock.blocksCount - superblock.firstDataBlock
        return Int(min(superblock.blocksPerGroup, dataBlocks - UInt32(group) * superblock.blocksPerGroup))
    }

    /// A free block, from `preferredGroup` onwards; its contents are whatever was there.
    mutating func allocateBlock(preferredGroup: Int) throws(Ext2Error) -> UInt32 {
        try beginChange()
        for step in 0..<groupCount {
            let group = (preferredGroup + step) % groupCount
            guard groups[group].freeBlocksCount > 0 else { continue }
            var bitmap = try readBlock(groups[group].blockBitmap)
            guard let bit = firstClearBit(bitmap, below: blocksInGroup(group)) else {
                throw .corrupt(.freeCounts(group: UInt32(group)))
            }
            guard superblock.freeBlocksCount > 0 else { throw .corrupt(.freeCounts(group: UInt32(group))) }
            bitmap[bit / 8] |= 1 << UInt8(bit % 8)
            try writeBlock(groups[group].blockBitmap, bitmap)
            groups[group].freeBlocksCount -= 1
            groupIsDirty[group] = true
            superblock.freeBlocksCount -= 1
            superblockIsDirty = true
            return superblock.firstDataBlock + UInt32(group) * superblock.blocksPerGroup + UInt32(bit)
        }
        throw .noSpace
    }

    mutating func freeBlock(_ block: UInt32) throws(Ext2Error) {
        guard isDataBlock(block) else { throw .corrupt(.blockOutOfRange(block)) }
        try beginChange()
        let group = Int((block - superblock.firstDataBlock) / superblock.blocksPerGroup)
        let bit = Int((block - superblock.firstDataBlock) % superblock.blocksPerGroup)
        var bitmap = try readBlock(groups[group].blockBitmap)
        guard bitmap[bit / 8] & (1 << UInt8(bit % 8)) != 0 else { throw .corrupt(.doubleFree) }
        guard Int(groups[group].freeBlocksCount) < blocksInGroup(group),
              superblock.freeBlocksCount < superblock.blocksCount
        else { throw .corrupt(.freeCounts(group: UInt32(group))) }
        bitmap[bit / 8] &= ~(1 << UInt8(bit % 8))
        try writeBlock(groups[group].blockBitmap, bitmap)
        groups[group].freeBlocksCount += 1
        groupIsDirty[group] = true
        superblock.freeBlocksCount += 1
        superblockIsDirty = true
    }

    /// A free inode number, from `preferredGroup` onwards (never a reserved one).
    mutating func allocateInode(preferredGroup: Int, directory: Bool) throws(Ext2Error) -> UInt32 {
        try beginChange()
        let perGroup = Int(superblock.inodesPerGroup)
        for step in 0..<groupCount {
            let group = (preferredGroup + step) % groupCount
            guard groups[group].freeInodesCount > 0 else { continue }
            var bitmap = try readBlock(groups[group].inodeBitmap)
            // Inodes below the first ordinary one are reserved even if their bits are clear.
            let reserved = max(0, Int(superblock.firstInode) - 1 - group * perGroup)
            guard let bit = firstClearBit(bitmap, below: perGroup, from: min(reserved, perGroup)) else {
                throw .corrupt(.freeCounts(group: UInt32(group)))
            }
            guard superblock.freeInodesCount > 0 else { throw .corrupt(.freeCounts(group: UInt32(group))) }
            bitmap[bit / 8] |= 1 << UInt8(bit % 8)
            try writeBlock(groups[group].inodeBitmap, bitmap)
            groups[group].freeInodesCount -= 1
            if directory { groups[group].usedDirectoriesCount += 1 }
            groupIsDirty[group] = true
            superblock.freeInodesCount -= 1
            superblockIsDirty = true
            return UInt32(group * perGroup + bit + 1)
        }
        throw .noSpace
    }

    mutating func freeInode(_ number: UInt32, directory: Bool) throws(Ext2Error) {
        guard number >= superblock.firstInode, number <= superblock.inodesCount else {
            throw .corrupt(.inodeOutOfRange(number))
        }
        try beginChange()
        let group = group(ofInode: number)
        let bit = Int((number - 1) % superblock.inodesPerGroup)
        var bitmap = try readBlock(groups[group].inodeBitmap)
        guard bitmap[bit / 8] & (1 << UInt8(bit % 8)) != 0 else { throw .corrupt(.doubleFree) }
        guard UInt32(groups[group].freeInodesCount) < superblock.inodesPerGroup,
              superblock.freeInodesCount < superblock.inodesCount,
              !directory || groups[group].usedDirectoriesCount > 0
        else { throw .corrupt(.freeCounts(group: UInt32(group))) }
        bitmap[bit / 8] &= ~(1 << UInt8(bit % 8))
        try writeBlock(groups[group].inodeBitmap, bitmap)
        groups[group].freeInodesCount += 1
        if directory { groups[group].usedDirectoriesCount -= 1 }
        groupIsDirty[group] = true
        superblock.freeInodesCount += 1
        superblockIsDirty = true
    }
}

/// The index of the first 0 bit in `bitmap` in `from..<limit`, if any.
func firstClearBit(_ bitmap: [UInt8], below limit: Int, from start: Int = 0) -> Int? {
    var bit = start
    let end = min(limit, bitmap.count * 8)
    while bit < end {
        let byte = bitmap[bit / 8]
        if bit % 8 == 0, byte == 0xFF {
            bit += 8
            continue
        }
        if byte & (1 << UInt8(bit % 8)) == 0 { return bit }
        bit += 1
    }
    return nil
}
