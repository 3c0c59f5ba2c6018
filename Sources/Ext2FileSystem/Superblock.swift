/// The superblock: 1,024 bytes at byte 1,024 of the device. The raw bytes are kept so that
/// fields this library does not interpret are written back unchanged.
struct Superblock {
    static let offset: UInt64 = 1024
    static let size = 1024
    static let magic: UInt16 = 0xEF53

    var raw: [UInt8]

    var inodesCount: UInt32 { raw.u32(0) }
    var blocksCount: UInt32 { raw.u32(4) }
    var freeBlocksCount: UInt32 { get { raw.u32(12) } set { raw.setU32(12, newValue) } }
    var freeInodesCount: UInt32 { get { raw.u32(16) } set { raw.setU32(16, newValue) } }
    var firstDataBlock: UInt32 { raw.u32(20) }
    var logBlockSize: UInt32 { raw.u32(24) }
    var blocksPerGroup: UInt32 { raw.u32(32) }
    var inodesPerGroup: UInt32 { raw.u32(40) }
    var writeTime: UInt32 { get { raw.u32(48) } set { raw.setU32(48, newValue) } }
    var magicNumber: UInt16 { raw.u16(56) }
    var revision: UInt32 { raw.u32(76) }
    /// The first inode ordinary files may use (11; revision 0 has no field).
    var firstInode: UInt32 { revision == 0 ? 11 : raw.u32(84) }
    var inodeSize: UInt16 { revision == 0 ? 128 : raw.u16(88) }
    var compatibleFeatures: UInt32 { revision == 0 ? 0 : raw.u32(92) }
    var incompatibleFeatures: UInt32 { revision == 0 ? 0 : raw.u32(96) }
    var readOnlyCompatibleFeatures: UInt32 { revision == 0 ? 0 : raw.u32(100) }

    var blockSize: UInt32 { 1024 << logBlockSize }
}

/// Feature bits this library understands (everything else incompatible is refused).
enum Features {
    /// Directory entries carry the file type.
    static let incompatibleFileType: UInt32 = 0x2
    static let incompatibleSupported: UInt32 = incompatibleFileType
    /// Backups only in groups 0, 1 and powers of 3, 5, 7; large files (size_high in use).
    static let readOnlySparseSuper: UInt32 = 0x1
    static let readOnlyLargeFile: UInt32 = 0x2
    static let readOnlySupported: UInt32 = readOnlySparseSuper | readOnlyLargeFile
}

/// One 32-byte entry of the group descriptor table (the table follows the superblock's block).
struct GroupDescriptor {
    static let size = 32
    var raw: [UInt8]

    var blockBitmap: UInt32 { raw.u32(0) }
    var inodeBitmap: UInt32 { raw.u32(4) }
    var inodeTable: UInt32 { raw.u32(8) }
    var freeBlocksCount: UInt16 { get { raw.u16(12) } set { raw.setU16(12, newValue) } }
    var freeInodesCount: UInt16 { get { raw.u16(14) } set { raw.setU16(14, newValue) } }
    var usedDirectoriesCount: UInt16 { get { raw.u16(16) } set { raw.setU16(16, newValue) } }
}
