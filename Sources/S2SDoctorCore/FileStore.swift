import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Errors writing or reading the tool's own files, each with a sentence that says what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Atomic, private file writes: temp file (0600) in the same folder, fsync, rename.
///
/// A crash at any moment leaves either the old file or the new one, never a torn one.
public enum SafeFile {
  /// Writes one of the tool's own files (profiles): its folder is created 0700 when missing and
  /// must be private (see `requirePrivate`).
  public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    try createPrivateFolder(folder)
    try replace(path, with: data, mode: mode)
  }

  /// Writes a file the user named (`--output`), according to what is there: a regular file or
  /// a new one is replaced atomically with mode 0600; a character device (`/dev/null`,
  /// `/dev/stdout`) or a FIFO is written to in place, never replaced; a symbolic link is
  /// followed and its target written the same way. Folders, block devices, sockets, a link to
  /// nothing and a missing folder are refused.
  public static func writeOutput(_ data: Data, to path: String) throws {
    var info = stat()
    guard lstat(path, &info) == 0 else {
      guard errno == ENOENT else { throw StoreError("Cannot write \(path): \(String(cString: strerror(errno))).") }
      let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw StoreError("Cannot write \(path): the folder \(folder) does not exist.")
      }
      return try replace(path, with: data, mode: 0o600)
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG:
      try replace(path, with: data, mode: 0o600)
    case S_IFLNK:
      guard let resolved = realpath(path, nil) else {
        throw StoreError("Cannot write \(path): it is a symbolic link to something that does not exist.")
      }
      defer { free(resolved) }
      let target = String(cString: resolved)
      var targetInfo = stat()
      guard stat(target, &targetInfo) == 0, targetInfo.st_mode & S_IFMT != S_IFLNK else {
        throw StoreError("Cannot write \(path): its link target \(target) cannot be read.")
      }
      try writeOutput(data, to: target)
    case S_IFCHR, S_IFIFO:
      try writeInPlace(data, to: path)
    case S_IFDIR:
      throw StoreError("Cannot write \(path): it is a folder. Name a file in it, e.g. \(path)/report.html.")
    default:
      throw StoreError("Cannot write \(path): it is a block device or a socket; refused.")
    }
  }

  /// A device or FIFO: opened for writing as it is (no create, no truncate) and written whole.
  static func writeInPlace(_ data: Data, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
    guard fd >= 0 else { throw StoreError("Cannot write \(path): \(String(cString: strerror(errno))).") }
    defer { close(fd) }
    guard writeAll(data, to: fd) else {
      throw StoreError("Cannot write \(path): \(String(cString: strerror(errno))).")
    }
  }

  /// Writes every byte, retrying on EINTR; false on any other failure (errno says why).
  public static func writeAll(_ data: Data, to fd: Int32) -> Bool {
    data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        offset += n
      }
      return true
    }
  }

  /// Creates `folder` (and missing parents) with mode 0700, then insists that it is private.
  public static func createPrivateFolder(_ folder: String) throws {
    var info = stat()
    if lstat(folder, &info) != 0 {
      try FileManager.default.createDirectory(
        atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      chmod(folder, 0o700)
    }
    try requirePrivate(folder)
  }

  /// Refuses a folder or file that another user could change: owned by someone else, or
  /// writable by group or others. The message says how to fix it.
  public static func requirePrivate(_ path: String) throws {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    let kind = info.st_mode & S_IFMT == S_IFDIR ? "folder" : "file"
    if info.st_mode & S_IFMT == S_IFLNK {
      throw StoreError(
        "\(path) is a symbolic link; the tool keeps its files only in a real \(kind) of yours. Remove the link.")
    }
    if info.st_uid != geteuid() {
      throw StoreError(
        "The \(kind) \(path) belongs to another user (uid \(info.st_uid)), who could change what the tool reads there. Fix: move it away, or `chown $(id -u) \(path)` if it is yours."
      )
    }
    if info.st_mode & 0o022 != 0 {
      let mode = String(info.st_mode & 0o777, radix: 8)
      let fix = kind == "folder" ? "chmod 700" : "chmod 600"
      throw StoreError(
        "The \(kind) \(path) is writable by other users (mode \(mode)), who could change what the tool reads there. Fix: `\(fix) \(path)`."
      )
    }
  }

  /// Temp file (0600, O_EXCL) in the same folder, fsync, rename, folder fsync.
  static func replace(_ path: String, with data: Data, mode: mode_t) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    let temp = folder + "/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else {
      throw StoreError("cannot create \(temp): \(String(cString: strerror(errno)))")
    }
    var ok = writeAll(data, to: fd)
    if ok { ok = fchmod(fd, mode) == 0 && fsync(fd) == 0 }
    close(fd)
    guard ok, rename(temp, path) == 0 else {
      let message = String(cString: strerror(errno))
      unlink(temp)
      throw StoreError("cannot write \(path): \(message)")
    }
    // Make the rename durable too.
    let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dir >= 0 {
      fsync(dir)
      close(dir)
    }
  }

  /// Runs `body` while holding an exclusive advisory lock on `path + ".lock"`, so that two
  /// concurrent runs read-modify-write one after the other and lose nothing.
  public static func withLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    try createPrivateFolder(folder)
    // Never through a symbolic link someone planted in place of the lock file.
    let fd = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else {
      if errno == ELOOP {
        throw StoreError(
          "cannot lock \(path): \(path).lock is a symbolic link, which the tool never follows. Remove it.")
      }
      throw StoreError("cannot lock \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 {
      if errno != EINTR { throw StoreError("cannot lock \(path): \(String(cString: strerror(errno)))") }
    }
    defer { flock(fd, LOCK_UN) }
    return try body()
  }
}

/// Profiles under `$XDG_CONFIG_HOME/s2s-doctor/profiles/NAME.json` (default `~/.config`).
public struct ProfileStore: Sendable {
  public let directory: String

  public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
    directory = Self.configFolder(environment: environment) + "/profiles"
  }

  /// `$XDG_CONFIG_HOME/s2s-doctor` (default `~/.config/s2s-doctor`): profiles and added checks.
  public static func configFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/s2s-doctor" }
    return (environment["HOME"] ?? NSHomeDirectory()) + "/.config/s2s-doctor"
  }

  public init(directory: String) { self.directory = directory }

  public static func isValidName(_ name: String) -> Bool {
    !name.isEmpty && name.count <= 64
      && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
      && !name.hasPrefix(".")
  }

  public func path(for name: String) -> String { directory + "/\(name).json" }

  public func load(_ name: String) throws -> Profile {
    guard Self.isValidName(name) else {
      throw StoreError(
        "'\(name)' is not a valid profile name: use letters, digits, '-', '_' or '.'.")
    }
    let file = path(for: name)
    try SafeFile.requirePrivate(URL(fileURLWithPath: directory).deletingLastPathComponent().path)
    try SafeFile.requirePrivate(directory)
    try SafeFile.requirePrivate(file)
    guard let data = FileManager.default.contents(atPath: file) else {
      throw StoreError(
        "No profile named '\(name)' (looked in \(file)). Create it with `s2s-doctor setup --profile \(name)`."
      )
    }
    do {
      return try JSONDecoder().decode(Profile.self, from: data)
    } catch {
      throw StoreError(
        "The profile \(file) cannot be read (\(error)). Fix or delete it, then run `s2s-doctor setup --profile \(name)` again."
      )
    }
  }

  public func save(_ profile: Profile) throws {
    guard Self.isValidName(profile.name) else {
      throw StoreError("'\(profile.name)' is not a valid profile name.")
    }
    let file = path(for: profile.name)
    try SafeFile.createPrivateFolder(URL(fileURLWithPath: directory).deletingLastPathComponent().path)
    try SafeFile.withLock(file) {
      let data = try JSONEncoder.stable.encode(profile)
      try SafeFile.write(data, to: file)
    }
  }

  /// Removes a profile (under its lock, so a concurrent save is not torn).
  public func delete(_ name: String) throws {
    guard Self.isValidName(name) else {
      throw StoreError("'\(name)' is not a valid profile name: use letters, digits, '-', '_' or '.'.")
    }
    let file = path(for: name)
    guard FileManager.default.fileExists(atPath: file) else {
      throw StoreError("No profile named '\(name)' (looked in \(file)). List them with `s2s-doctor profile list`.")
    }
    try SafeFile.withLock(file) {
      guard unlink(file) == 0 || errno == ENOENT else {
        throw StoreError("Cannot delete \(file): \(String(cString: strerror(errno))).")
      }
    }
    unlink(file + ".lock")
  }

  public func list() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
      .map { String($0.dropLast(5)) }.sorted()
  }
}

/// Reads outside input (standard input, pasted text, inventories, secret files) up to a limit,
/// so that an endless pipe or a huge file ends with a clear message instead of exhausting memory.
public enum BoundedInput {
  /// 64 MB: far more than any log excerpt, inventory or error a person pastes.
  public static let limit = 64 << 20

  /// The bytes of `fd` to its end; throws when there are more than `limit`.
  public static func read(fd: Int32, limit: Int = limit, what: String) throws -> Data {
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n < 0 { throw StoreError("Cannot read \(what): \(String(cString: strerror(errno))).") }
      if n == 0 { return data }
      guard data.count + n <= limit else {
        throw StoreError(
          "\(what) is larger than \(describe(limit)), the most the tool reads. Pass only the relevant part (for a log, the lines around the error)."
        )
      }
      data.append(contentsOf: chunk[0..<n])
    }
  }

  /// The bytes of the file at `path`, with the same limit.
  public static func file(_ path: String, limit: Int = limit, what: String? = nil) throws -> Data {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
    guard fd >= 0 else { throw StoreError("Cannot read \(path): \(String(cString: strerror(errno))).") }
    defer { close(fd) }
    return try read(fd: fd, limit: limit, what: what ?? path)
  }

  static func describe(_ bytes: Int) -> String {
    bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(bytes >> 10) KB"
  }
}
