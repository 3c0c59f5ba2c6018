// Reading, writing and truncating files; attributes and times.

extension Ext2FileSystem {
    public mutating func attributes(of number: UInt32) throws(Ext2Error) -> FileAttributes {
        let inode = try readLiveInode(number)
        return FileAttributes(inode: number, kind: inode.kind, permissions: inode.mode & 0o7777, size: inode.size,
                              links: inode.linksCount, accessTime: inode.accessTime,
                              modificationTime: inode.modificationTime, changeTime: inode.changeTime,
                              allocatedBytes: UInt64(inode.sectors) * 512)
    }

    /// An inode that is in use (links > 0 or a directory's); a free one reached by a name is corrupt.
    mutating func readLiveInode(_ number: UInt32) throws(Ext2Error) -> Inode {
        let inode = try readInode(number)
        guard inode.linksCount > 0, inode.mode != 0 else { throw .corrupt(.inode(number)) }
        return inode
    }

    /// Up to `count` bytes from `offset` (fewer at the end of the file; none past it).
    public mutating func read(_ number: UInt32, at offset: UInt64, count: Int) throws(Ext2Error) -> [UInt8] {
        let inode = try readLiveInode(number)
        guard inode.kind != .directory else { throw .isDirectory }
        if inode.isFastSymbolicLink {
            let target = Array(inode.raw[40..<40 + Int(inode.size)])
            guard offset < UInt64(target.count) else { return [] }
            return Array(target[Int(offset)..<min(target.count, Int(offset) + count)])
        }
        guard offset < inode.size, count > 0 else { return [] }
        let end = min(inode.size, offset + UInt64(count))
        var result: [UInt8] = []
        result.reserveCapacity(Int(end - offset))
        var position = offset
        while position < end {
            let index = position / UInt64(blockSize)
            let within = Int(position % UInt64(blockSize))
            let length = Int(min(UInt64(blockSize - within), end - position))
            let block = try mappedBlock(inode, index)
            if block == 0 {
                result.append(contentsOf: [UInt8](repeating: 0, count: length))
            } else {
                let bytes = try readBlock(block)
                result.append(contentsOf: bytes[within..<within + length])
            }
            position += UInt64(length)
        }
        return result
    }

    /// Writes `bytes` at `offset`, growing the file (a gap before `offset` stays a hole). On
    /// `noSpace` the bytes that fit are written and the size covers them.
    public mutating func write(_ bytes: [UInt8], to number: UInt32, at offset: UInt64) throws(Ext2Error) {
        var inode = try readLiveInode(number)
        guard inode.kind == .regular else { throw inode.kind == .directory ? .isDirectory : .notRegularFile }
        guard offset <= maximumFileSize, UInt64(bytes.count) <= maximumFileSize - offset else { throw .fileTooLarge }
        guard !bytes.isEmpty else { return }
        try beginChange()
        var written = 0
        var failure: Ext2Error?
        while written < bytes.count {
            let position = offset + UInt64(written)
            let index = position / UInt64(blockSize)
            let within = Int(position % UInt64(blockSize))
            let length = min(blockSize - within, bytes.count - written)
            do {
                let (block, fresh) = try allocatedBlock(&inode, number: number, index)
                var data: [UInt8]
                if length == blockSize {
                    data = Array(bytes[written..<written + length])
                } else {
                    data = fresh ? [UInt8](repeating: 0, count: blockSize) : try readBlock(block)
                    data.replaceSubrange(within..<within + length, with: bytes[written..<written + length])
                }
                try writeBlock(block, data)
            } catch {
                failure = error
                break
            }
            written += length
        }
        if offset + UInt64(written) > inode.size { inode.size = offset + UInt64(written) }
        inode.modificationTime = now
        inode.changeTime = now
        try writeInode(number, inode)
        if let failure { throw failure }
    }

    /// Sets the file's size: shrinking frees the blocks past it (and zeroes the rest of its last
    /// block, so growing later reads zeros); growing leaves a hole.
    public mutating func truncate(_ number: UInt32, to size: UInt64) throws(Ext2Error) {
        var inode = try readLiveInode(number)
        guard inode.kind == .regular else { throw inode.kind == .directory ? .isDirectory : .notRegularFile }
        guard size <= maximumFileSize else { throw .fileTooLarge }
        try beginChange()
        if size < inode.size {
            let keep = (size + UInt64(blockSize) - 1) / UInt64(blockSize)
            try freeBlocks(of: &inode, keepingFirst: keep)
            let within = Int(size % UInt64(blockSize))
            if within != 0 {
                let block = try mappedBlock(inode, size / UInt64(blockSize))
                if block != 0 {
                    var data = try readBlock(block)
                    data.replaceSubrange(within..<blockSize, with: [UInt8](repeating: 0, count: blockSize - within))
                    try writeBlock(block, data)
                }
            }
        }
        inode.size = size
        inode.modificationTime = now
        inode.changeTime = now
        try writeInode(number, inode)
    }

    /// Sets the access and modification times (nil: leave as is); the change time becomes `now`.
    public mutating func setTimes(_ number: UInt32, access: UInt32?, modification: UInt32?) throws(Ext2Error) {
        var inode = try readLiveInode(number)
        try beginChange()
        if let access { inode.accessTime = access }
        if let modification { inode.modificationTime = modification }
        inode.changeTime = now
        try writeInode(number, inode)
    }

    /// Frees an inode whose last link went: its blocks, then its bitmap bit (dtime set).
    mutating func releaseInode(_ number: UInt32) throws(Ext2Error) {
        var inode = try readInode(number)
        let directory = inode.kind == .directory
        if !inode.isFastSymbolicLink { try freeBlocks(of: &inode, keepingFirst: 0) }
        inode.linksCount = 0
        inode.size = 0
        // A dtime of 0 means "in use", and one up to the inode count reads as an orphan-list link
        // (e2fsck): a clock that is not set must not produce either.
        inode.deletionTime = max(now, superblock.inodesCount + 1)
        inode.changeTime = now
        try writeInode(number, inode)
        try freeInode(number, directory: directory)
    }
}
