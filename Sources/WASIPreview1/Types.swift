/// A WASI preview 1 error number (`errno`, 16 bits). Thrown by the system layer and returned
/// to the guest as the result of every preview 1 function.
public struct WASIErrno: Error, Equatable, Hashable {
    public let rawValue: UInt16

    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let success = WASIErrno(0)
    public static let tooBig = WASIErrno(1)             // 2big
    public static let access = WASIErrno(2)             // acces
    public static let addressInUse = WASIErrno(3)
    public static let addressNotAvailable = WASIErrno(4)
    public static let addressFamilyNotSupported = WASIErrno(5)
    public static let again = WASIErrno(6)
    public static let already = WASIErrno(7)
    public static let badFileDescriptor = WASIErrno(8)  // badf
    public static let badMessage = WASIErrno(9)
    public static let busy = WASIErrno(10)
    public static let canceled = WASIErrno(11)
    public static let child = WASIErrno(12)
    public static let connectionAborted = WASIErrno(13)
    public static let connectionRefused = WASIErrno(14)
    public static let connectionReset = WASIErrno(15)
    public static let deadlock = WASIErrno(16)
    public static let destinationAddressRequired = WASIErrno(17)
    public static let domain = WASIErrno(18)
    public static let quota = WASIErrno(19)
    public static let exists = WASIErrno(20)            // exist
    public static let fault = WASIErrno(21)
    public static let fileTooBig = WASIErrno(22)        // fbig
    public static let hostUnreachable = WASIErrno(23)
    public static let identifierRemoved = WASIErrno(24)
    public static let illegalSequence = WASIErrno(25)   // ilseq
    public static let inProgress = WASIErrno(26)
    public static let interrupted = WASIErrno(27)
    public static let invalid = WASIErrno(28)           // inval
    public static let io = WASIErrno(29)
    public static let isConnected = WASIErrno(30)
    public static let isDirectory = WASIErrno(31)       // isdir
    public static let loop = WASIErrno(32)
    public static let tooManyFiles = WASIErrno(33)      // mfile
    public static let tooManyLinks = WASIErrno(34)      // mlink
    public static let messageSize = WASIErrno(35)
    public static let multihop = WASIErrno(36)
    public static let nameTooLong = WASIErrno(37)
    public static let networkDown = WASIErrno(38)
    public static let networkReset = WASIErrno(39)
    public static let networkUnreachable = WASIErrno(40)
    public static let tooManyFilesInSystem = WASIErrno(41) // nfile
    public static let noBufferSpace = WASIErrno(42)
    public static let noDevice = WASIErrno(43)
    public static let noEntry = WASIErrno(44)           // noent
    public static let noExec = WASIErrno(45)
    public static let noLock = WASIErrno(46)
    public static let noLink = WASIErrno(47)
    public static let noMemory = WASIErrno(48)
    public static let noMessage = WASIErrno(49)
    public static let noProtocolOption = WASIErrno(50)
    public static let noSpace = WASIErrno(51)
    public static let noSys = WASIErrno(52)             // nosys
    public static let notConnected = WASIErrno(53)
    public static let notDirectory = WASIErrno(54)      // notdir
    public static let notEmpty = WASIErrno(55)
    public static let notRecoverable = WASIErrno(56)
    public static let notSocket = WASIErrno(57)         // notsock
    public static let notSupported = WASIErrno(58)      // notsup
    public static let notTTY = WASIErrno(59)
    public static let noSuchDeviceOrAddress = WASIErrno(60) // nxio
    public static let overflow = WASIErrno(61)
    public static let ownerDead = WASIErrno(62)
    public static let permission = WASIErrno(63)        // perm
    public static let brokenPipe = WASIErrno(64)
    public static let protocolError = WASIErrno(65)
    public static let protocolNotSupported = WASIErrno(66)
    public static let protocolWrongType = WASIErrno(67)
    public static let range = WASIErrno(68)
    public static let readOnlyFileSystem = WASIErrno(69) // rofs
    public static let invalidSeek = WASIErrno(70)       // spipe
    public static let noSuchProcess = WASIErrno(71)
    public static let stale = WASIErrno(72)
    public static let timedOut = WASIErrno(73)
    public static let textBusy = WASIErrno(74)
    public static let crossDevice = WASIErrno(75)       // xdev
    public static let notCapable = WASIErrno(76)
}

/// `filetype` (u8).
public enum WASIFiletype: UInt8 {
    case unknown = 0
    case blockDevice = 1
    case characterDevice = 2
    case directory = 3
    case regularFile = 4
    case socketDatagram = 5
    case socketStream = 6
    case symbolicLink = 7
}

/// `filestat` without the guest layout: what the system layer reports about a file.
public struct WASIFileStat: Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var filetype: WASIFiletype
    public var linkCount: UInt64
    public var size: UInt64
    /// Timestamps in nanoseconds since the Unix epoch.
    public var accessTime: UInt64
    public var modificationTime: UInt64
    public var statusChangeTime: UInt64

    public init(device: UInt64 = 0, inode: UInt64 = 0, filetype: WASIFiletype, linkCount: UInt64 = 1,
                size: UInt64 = 0, accessTime: UInt64 = 0, modificationTime: UInt64 = 0,
                statusChangeTime: UInt64 = 0) {
        self.device = device
        self.inode = inode
        self.filetype = filetype
        self.linkCount = linkCount
        self.size = size
        self.accessTime = accessTime
        self.modificationTime = modificationTime
        self.statusChangeTime = statusChangeTime
    }
}

/// One entry of a directory listing (never `.` or `..`: the WASI layer adds those).
public struct WASIDirectoryEntry: Equatable {
    public var name: String
    public var filetype: WASIFiletype
    public var inode: UInt64

    public init(name: String, filetype: WASIFiletype, inode: UInt64) {
        self.name = name
        self.filetype = filetype
        self.inode = inode
    }
}

/// Clocks of `clock_time_get` (`clockid`).
public enum WASIClockID: UInt32 {
    case realtime = 0
    case monotonic = 1
    case processCPUTime = 2
    case threadCPUTime = 3
}

/// `advice` for `fd_advise`.
public enum WASIAdvice: UInt8 {
    case normal = 0, sequential, random, willNeed, dontNeed, noReuse
}

/// `rights` bits (u64).
public enum WASIRights {
    public static let fdDatasync: UInt64 = 1 << 0
    public static let fdRead: UInt64 = 1 << 1
    public static let fdSeek: UInt64 = 1 << 2
    public static let fdFdstatSetFlags: UInt64 = 1 << 3
    public static let fdSync: UInt64 = 1 << 4
    public static let fdTell: UInt64 = 1 << 5
    public static let fdWrite: UInt64 = 1 << 6
    public static let fdAdvise: UInt64 = 1 << 7
    public static let fdAllocate: UInt64 = 1 << 8
    public static let pathCreateDirectory: UInt64 = 1 << 9
    public static let pathCreateFile: UInt64 = 1 << 10
    public static let pathLinkSource: UInt64 = 1 << 11
    public static let pathLinkTarget: UInt64 = 1 << 12
    public static let pathOpen: UInt64 = 1 << 13
    public static let fdReaddir: UInt64 = 1 << 14
    public static let pathReadlink: UInt64 = 1 << 15
    public static let pathRenameSource: UInt64 = 1 << 16
    public static let pathRenameTarget: UInt64 = 1 << 17
    public static let pathFilestatGet: UInt64 = 1 << 18
    public static let pathFilestatSetSize: UInt64 = 1 << 19
    public static let pathFilestatSetTimes: UInt64 = 1 << 20
    public static let fdFilestatGet: UInt64 = 1 << 21
    public static let fdFilestatSetSize: UInt64 = 1 << 22
    public static let fdFilestatSetTimes: UInt64 = 1 << 23
    public static let pathSymlink: UInt64 = 1 << 24
    public static let pathRemoveDirectory: UInt64 = 1 << 25
    public static let pathUnlinkFile: UInt64 = 1 << 26
    public static let pollFdReadwrite: UInt64 = 1 << 27
    public static let sockShutdown: UInt64 = 1 << 28
    public static let sockAccept: UInt64 = 1 << 29

    public static let all: UInt64 = (1 << 30) - 1

    /// What a regular file's descriptor can ever hold.
    public static let regularFile: UInt64 = fdDatasync | fdRead | fdSeek | fdFdstatSetFlags | fdSync | fdTell
        | fdWrite | fdAdvise | fdAllocate | fdFilestatGet | fdFilestatSetSize | fdFilestatSetTimes | pollFdReadwrite

    /// What a directory's descriptor can ever hold (no byte I/O, seeking or sizing).
    public static let directory: UInt64 = fdFdstatSetFlags | fdSync | fdDatasync | fdAdvise
        | pathCreateDirectory | pathCreateFile | pathLinkSource | pathLinkTarget | pathOpen | fdReaddir
        | pathReadlink | pathRenameSource | pathRenameTarget | pathFilestatGet | pathFilestatSetSize
        | pathFilestatSetTimes | fdFilestatGet | fdFilestatSetTimes | pathSymlink | pathRemoveDirectory
        | pathUnlinkFile | pollFdReadwrite

    /// A directory the guest may only look into: open, list, stat, read links.
    public static let readOnlyDirectory: UInt64 = pathOpen | fdReaddir | pathReadlink | pathFilestatGet
        | fdFilestatGet | fdAdvise | pollFdReadwrite

    /// What descriptors opened below a read-only directory may hold.
    public static let readOnlyTree: UInt64 = readOnlyDirectory | fdRead | fdSeek | fdTell

    /// Standard streams and other character devices: no seeking (that is how `isatty` tells).
    public static let characterDevice: UInt64 = fdRead | fdWrite | fdFdstatSetFlags | fdFilestatGet
        | pollFdReadwrite | fdSync | fdDatasync | fdAdvise
}

/// `fdflags` bits (u16).
public enum WASIFdFlags {
    public static let append: UInt16 = 1 << 0
    public static let dsync: UInt16 = 1 << 1
    public static let nonblock: UInt16 = 1 << 2
    public static let rsync: UInt16 = 1 << 3
    public static let sync: UInt16 = 1 << 4
    public static let all: UInt16 = 0x1F
}

/// `oflags` bits (u16).
public enum WASIOpenFlags {
    public static let create: UInt16 = 1 << 0
    public static let directory: UInt16 = 1 << 1
    public static let exclusive: UInt16 = 1 << 2
    public static let truncate: UInt16 = 1 << 3
    public static let all: UInt16 = 0xF
}

/// `fstflags` bits (u16).
public enum WASITimeFlags {
    public static let accessTime: UInt16 = 1 << 0
    public static let accessTimeNow: UInt16 = 1 << 1
    public static let modificationTime: UInt16 = 1 << 2
    public static let modificationTimeNow: UInt16 = 1 << 3
    public static let all: UInt16 = 0xF
}

/// Guest-memory layouts of the preview 1 structures (byte offsets and sizes, wasm32).
public enum WASILayout {
    /// `fdstat`: filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16.
    public static let fdstatSize = 24
    /// `filestat`: dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40, mtim @48, ctim @56.
    public static let filestatSize = 64
    /// `dirent`: d_next @0, d_ino @8, d_namlen u32 @16, d_type u8 @20; the name follows.
    public static let direntSize = 24
    /// `prestat`: tag u8 @0 (0 = dir), pr_name_len u32 @4.
    public static let prestatSize = 8
    /// `iovec`/`ciovec`: buf u32 @0, buf_len u32 @4.
    public static let iovecSize = 8
    /// `subscription`: userdata u64 @0, tag u8 @8, union @16 (clock: id u32 @16, timeout u64 @24,
    /// precision u64 @32, flags u16 @40; fd_readwrite: fd u32 @16).
    public static let subscriptionSize = 48
    /// `event`: userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24.
    public static let eventSize = 32
}
