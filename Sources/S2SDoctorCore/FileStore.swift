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
  public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    try FileManager.default.createDirectory(
      atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let temp = folder + "/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else {
      throw StoreError("cannot create \(temp): \(String(cString: strerror(errno)))")
    }
    var ok = true
    data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n <= 0 {
          if errno == EINTR { continue }
          ok = false
          break
        }
        offset += n
      }
    }
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
    try FileManager.default.createDirectory(
      atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let fd = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw StoreError("cannot lock \(path): \(String(cString: strerror(errno)))") }
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
    let base: String
    if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
      base = xdg
    } else {
      base = (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
    }
    directory = base + "/s2s-doctor/profiles"
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
    try SafeFile.withLock(file) {
      let data = try JSONEncoder.stable.encode(profile)
      try SafeFile.write(data, to: file)
    }
  }

  public func list() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
      .map { String($0.dropLast(5)) }.sorted()
  }
}
