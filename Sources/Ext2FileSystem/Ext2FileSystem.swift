/// An ext2 file system (revision 0 or 1; 1, 2 or 4 KiB blocks) on a block device.
///
/// Operations take inode numbers and single names, like the WASI layer above them (which
/// resolves paths one component at a time). Metadata writes go straight to the device; the
/// superblock's and group descriptors' counters are kept in memory and written by `sync()`,
/// which also flushes the device — until then the on-disk superblock says "not clean", so a
/// crash in between is visible to e2fsck. There is no journal yet (docs/STORAGE.md).
public struct Ext2FileSystem<Device: BlockDevice> {
    public static var rootInode: UInt32 { 2 }

    public private(set) var device: Device
    var superblock: Superblock
    var groups: [GroupDescriptor]
    var groupIsDirty: [Bool]
    var superblockIsDirty = false
    /// Whether the on-disk superblock already says "not clean" since the last sync.
    var markedInUse = false

    public let blockSize: Int
    let groupCount: Int
    let inodeSize: Int
    let pointersPerBlock: Int
    /// The time stamped on what operations change (seconds since 1970); the caller keeps it current.
    public var now: UInt32 = 0

    /// Reads and checks the superblock and group descriptors.
    public init(mounting device: Device) throws(Ext2Error) {
        var device = device
        let rawSuperblock: [UInt8]
        do { rawSuperblock = try device.read(at: Superblock.offset, count: Superblock.size) }
        catch { throw .device(error) }
        let superblock = Superblock(raw: rawSuperblock)
        guard superblock.magicNumber == Superblock.magic else { throw .unsupported(.notExt2) }
        guard superblock.revision <= 1 else { throw .unsupported(.revision(superblock.revision)) }
        guard superblock.logBlockSize <= 2 else {
            throw .unsupported(.blockSize(superblock.logBlockSize < 22 ? superblock.blockSize : 0))
        }
        let blockSize = Int(superblock.blockSize)
        let inodeSize = superblock.inodeSize
        guard inodeSize >= 128, inodeSize & (inodeSize - 1) == 0, Int(inodeSize) <= blockSize else {
            throw .unsupported(.inodeSize(inodeSize))
        }
        let incompatible = superblock.incompatibleFeatures & ~Features.incompatibleSupported
        guard incompatible == 0 else { throw .unsupported(.incompatibleFeatures(incompatible)) }
        let readOnly = superblock.readOnlyCompatibleFeatures & ~Features.readOnlySupported
        guard readOnly == 0 else { throw .unsupported(.readOnlyCompatibleFeatures(readOnly)) }

        let bitsPerBlock = UInt32(8 * blockSize)
        guard superblock.firstDataBlock == (blockSize == 1024 ? 1 : 0),
              superblock.blocksPerGroup > 0, superblock.blocksPerGroup <= bitsPerBlock,
              superblock.inodesPerGroup > 0, superblock.inodesPerGroup <= bitsPerBlock,
              superblock.blocksCount > superblock.firstDataBlock + 1
        else { throw .corrupt(.superblock) }
        let dataBlocks = superblock.blocksCount - superblock.firstDataBlock
        let groupCount = Int((dataBlocks + superblock.blocksPerGroup - 1) / superblock.blocksPerGroup)
        guard UInt64(superblock.inodesCount) == UInt64(groupCount) * UInt64(superblock.inodesPerGroup),
              superblock.firstInode > Ext2FileSystem.rootInode, superblock.firstInode < superblock.inodesCount
        else { throw .corrupt(.superblock) }
        guard UInt64(superblock.blocksCount) * UInt64(blockSize) <= device.byteCount else {
            throw .unsupported(.deviceTooSmall)
        }

        // The descriptor table starts in the block after the superblock's.
        let tableBytes = groupCount * GroupDescriptor.size
        let tableBlocks = (tableBytes + blockSize - 1) / blockSize
        guard UInt64(superblock.firstDataBlock) + 1 + UInt64(tableBlocks) <= UInt64(superblock.blocksCount) else {
            throw .corrupt(.superblock)
        }
        let table: [UInt8]
        do {
            table = try device.read(at: UInt64(superblock.firstDataBlock + 1) * UInt64(blockSize),
                                    count: tableBlocks * blockSize)
        } catch { throw .device(error) }
        var groups: [GroupDescriptor] = []
        let inodeTableBlocks = (UInt64(superblock.inodesPerGroup) * UInt64(inodeSize) + UInt64(blockSize) - 1) / UInt64(blockSize)
        var freeBlocks: UInt32 = 0
        var freeInodes: UInt32 = 0
        for index in 0..<groupCount {
            let start = index * GroupDescriptor.size
            let group = GroupDescriptor(raw: Array(table[start..<start + GroupDescriptor.size]))
            let inRange = { (block: UInt32) in block > superblock.firstDataBlock && block < superblock.blocksCount }
            guard inRange(group.blockBitmap), inRange(group.inodeBitmap), inRange(group.inodeTable),
                  UInt64(group.inodeTable) + inodeTableBlocks <= UInt64(superblock.blocksCount)
            else { throw .corrupt(.groupDescriptor(group: UInt32(index))) }
            let blocksInGroup = min(superblock.blocksPerGroup, dataBlocks - UInt32(index) * superblock.blocksPerGroup)
            guard UInt32(group.freeBlocksCount) <= blocksInGroup,
                  UInt32(group.freeInodesCount) <= superblock.inodesPerGroup,
                  UInt32(group.usedDirectoriesCount) <= superblock.inodesPerGroup
            else { throw .corrupt(.freeCounts(group: UInt32(index))) }
            freeBlocks += UInt32(group.freeBlocksCount)
            freeInodes += UInt32(group.freeInodesCount)
            groups.append(group)
        }
        self.device = device
        self.superblock = superblock
        self.groups = groups
        self.groupIsDirty = [Bool](repeating: false, count: groupCount)
        self.blockSize = blockSize
        self.groupCount = groupCount
        self.inodeSize = Int(inodeSize)
        self.pointersPerBlock = blockSize / 4
        // Like Linux, the superblock's totals are the sum of the groups' (which the bitmaps back).
        if superblock.freeBlocksCount != freeBlocks || superblock.freeInodesCount != freeInodes {
            self.superblock.freeBlocksCount = freeBlocks
            self.superblock.freeInodesCount = freeInodes
            superblockIsDirty = true
        }
    }

    // MARK: Statistics

    public struct Statistics: Equatable {
        public var blockSize: Int
        public var blocks: UInt32
        public var freeBlocks: UInt32
        public var inodes: UInt32
        public var freeInodes: UInt32
    }

    public var statistics: Statistics {
        Statistics(blockSize: blockSize, blocks: superblock.blocksCount, freeBlocks: superblock.freeBlocksCount,
                   inodes: superblock.inodesCount, freeInodes: superblock.freeInodesCount)
    }

    // MARK: Durability

    /// Writes the superblock and the changed group descriptors, marks the file system clean and
    /// flushes the device: everything done before is durable when this returns.
    public mutating func sync() throws(Ext2Error) {
        if superblockIsDirty || markedInUse || groupIsDirty.contains(true) {
            let tableBlocks = (groupCount * GroupDescriptor.size + blockSize - 1) / blockSize
            for tableBlock in 0..<tableBlocks {
                let first = tableBlock * blockSize / GroupDescriptor.size
                let last = min(groupCount, first + blockSize / GroupDescriptor.size)
                guard groupIsDirty[first..<last].contains(true) else { continue }
                var bytes = try readBlock(superblock.firstDataBlock + 1 + UInt32(tableBlock))
                for index in first..<last {
                    let start = (index - first) * GroupDescriptor.size
                    bytes.replaceSubrange(start..<start + GroupDescriptor.size, with: groups[index].raw)
                    groupIsDirty[index] = false
                }
                try writeBlock(superblock.firstDataBlock + 1 + UInt32(tableBlock), bytes)
            }
            // The data and descriptors reach the disk before the superblock says "clean".
            try flushDevice()
            superblock.writeTime = now
            try writeSuperblock(clean: true)
            superblockIsDirty = false
            markedInUse = false
        }
        try flushDevice()
    }

    /// Before the first change after a sync: the on-disk superblock says "not clean".
    mutating func beginChange() throws(Ext2Error) {
        guard !markedInUse else { return }
        try writeSuperblock(clean: false)
        markedInUse = true
    }

    mutating func writeSuperblock(clean: Bool) throws(Ext2Error) {
        var raw = superblock.raw
        let state = raw.u16(58)
        raw.setU16(58, clean ? state | 1 : state & ~1)
        do { try device.write(raw, at: Superblock.offset) } catch { throw .device(error) }
    }

    mutating func flushDevice() throws(Ext2Error) {
        do { try device.flush() } catch { throw .device(error) }
    }

    // MARK: Blocks and inodes

    /// Whether `block` may be a data or indirect block (not the superblock's, not past the end).
    func isDataBlock(_ block: UInt32) -> Bool {
        block > superblock.firstDataBlock && block < superblock.blocksCount
    }

    mutating func readBlock(_ block: UInt32) throws(Ext2Error) -> [UInt8] {
        guard block < superblock.blocksCount else { throw .corrupt(.blockOutOfRange(block)) }
        do { return try device.read(at: UInt64(block) * UInt64(blockSize), count: blockSize) }
        catch { throw .device(error) }
    }

    mutating func writeBlock(_ block: UInt32, _ bytes: [UInt8]) throws(Ext2Error) {
        guard block < superblock.blocksCount, bytes.count == blockSize else { throw .corrupt(.blockOutOfRange(block)) }
        do { try device.write(bytes, at: UInt64(block) * UInt64(blockSize)) } catch { throw .device(error) }
    }

    func inodeLocation(_ number: UInt32) throws(Ext2Error) -> (block: UInt32, offset: Int) {
        guard number >= 1, number <= superblock.inodesCount else { throw .corrupt(.inodeOutOfRange(number)) }
        let group = Int((number - 1) / superblock.inodesPerGroup)
        let index = Int((number - 1) % superblock.inodesPerGroup)
        let byteOffset = index * inodeSize
        return (groups[group].inodeTable + UInt32(byteOffset / blockSize), byteOffset % blockSize)
    }

    mutating func readInode(_ number: UInt32) throws(Ext2Error) -> Inode {
        let (block, offset) = try inodeLocation(number)
        let bytes = try readBlock(block)
        return Inode(raw: Array(bytes[offset..<offset + inodeSize]))
    }

    mutating func writeInode(_ number: UInt32, _ inode: Inode) throws(Ext2Error) {
        let (block, offset) = try inodeLocation(number)
        var bytes = try readBlock(block)
        bytes.replaceSubrange(offset..<offset + inodeSize, with: inode.raw)
        try writeBlock(block, bytes)
    }

    func group(ofInode number: UInt32) -> Int { Int((number - 1) / superblock.inodesPerGroup) }
}
