import Foundation
import S2SDoctorTestSupport
import Testing

@testable import S2SDoctorCore

/// Point 14 of issue 14: files the way a careful tool writes them.
@Suite(.serialized) struct FileSafetyTests {
  static let exportArgs = [
    "export", "http", "--tenant", "contoso.onmicrosoft.com", "--client-id", "5c2a7d1e-3b4f-4a6e-9d8c-7f1e2d3c4b5a",
  ]

  func mode(_ path: String) -> Int {
    var info = stat()
    guard lstat(path, &info) == 0 else { return -1 }
    return Int(info.st_mode & 0o777)
  }

  func kind(_ path: String) -> mode_t {
    var info = stat()
    guard lstat(path, &info) == 0 else { return 0 }
    return info.st_mode & S_IFMT
  }

  @Test func outputIsPrivateWhateverTheUmask() async throws {
    let home = temporaryHome()
    for (name, args) in [("export.http", Self.exportArgs), ("explain.txt", ["explain", "AADSTS7000215"])] {
      let file = home + "/" + name
      if args[0] == "export" {
        let r = try await Binary.run(args + ["--output", file], home: home, umask: "000")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(mode(file) == 0o600, "\(name) has mode \(String(mode(file), radix: 8))")
      }
    }
  }

  @Test func aSymlinkIsWrittenThroughAndStaysALink() async throws {
    let home = temporaryHome()
    let target = home + "/real.http"
    FileManager.default.createFile(atPath: target, contents: Data("old".utf8))
    let link = home + "/link.http"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    let r = try await Binary.run(Self.exportArgs + ["--output", link], home: home)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(kind(link) == S_IFLNK, "the link was replaced by a file")
    #expect(try String(contentsOfFile: target, encoding: .utf8).contains("contoso.onmicrosoft.com"))
    #expect(mode(target) == 0o600)
    // A link to a device: the device is written to, the link and the device stay.
    let devnull = home + "/null"
    try FileManager.default.createSymbolicLink(atPath: devnull, withDestinationPath: "/dev/null")
    let n = try await Binary.run(Self.exportArgs + ["--output", devnull], home: home)
    #expect(n.status == 0, "\(n.stderr)")
    #expect(kind(devnull) == S_IFLNK)
    #expect(kind("/dev/null") == S_IFCHR)
  }

  @Test func aFIFOIsWrittenToNotReplaced() async throws {
    let home = temporaryHome()
    let fifo = home + "/pipe"
    #expect(mkfifo(fifo, 0o600) == 0)
    // The reader runs on its own thread: opening a FIFO blocks until the other end opens.
    let reader = Task.detached { () -> String in
      let fd = open(fifo, O_RDONLY)
      defer { close(fd) }
      var out = [UInt8]()
      var chunk = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { break }
        out += chunk[0..<n]
      }
      return String(decoding: out, as: UTF8.self)
    }
    let r = try await Binary.run(Self.exportArgs + ["--output", fifo], home: home)
    #expect(r.status == 0, "\(r.stderr)")
    let received = await reader.value
    #expect(received.contains("contoso.onmicrosoft.com"))
    #expect(kind(fifo) == S_IFIFO, "the FIFO was replaced")
  }

  @Test func anUnwritableOutputIsExit64() async throws {
    let home = temporaryHome()
    for path in [home + "/no/such/folder/x.http", home] {
      let r = try await Binary.run(Self.exportArgs + ["--output", path], home: home)
      #expect(r.status == 64, "\(path): \(r.status) \(r.stderr)")
      #expect(r.stderr.contains("Cannot write"), "\(r.stderr)")
    }
  }

  @Test func aFailedWriteToStandardOutputIsNotExit0() async throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = Self.exportArgs
    process.environment = ["HOME": temporaryHome(), "PATH": "/usr/bin:/bin"]
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
    process.standardError = FileHandle.nullDevice
    try process.run()
    await ProcessRun.waitForExit(process)
    #expect(process.terminationStatus != 0)
  }

  @Test func aProfileFolderOthersCanWriteIsRefused() async throws {
    let home = temporaryHome()
    let folder = home + "/config/s2s-doctor/profiles"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var settings = ConnectionSettings()
    settings.tenant = "contoso.onmicrosoft.com"
    settings.clientID = "5c2a7d1e-3b4f-4a6e-9d8c-7f1e2d3c4b5a"
    try JSONEncoder().encode(Profile(name: "p", settings: settings)).write(to: URL(fileURLWithPath: folder + "/p.json"))
    chmod(folder + "/p.json", 0o600)
    chmod(home + "/config/s2s-doctor", 0o700)
    chmod(folder, 0o777)
    let r = try await Binary.run(Self.exportArgs.prefix(2) + ["--profile", "p"], home: home)
    #expect(r.status == 64, "\(r.status) \(r.stdout) \(r.stderr)")
    #expect(r.stderr.contains("chmod 700"), "\(r.stderr)")
    chmod(folder, 0o700)
    chmod(folder + "/p.json", 0o666)
    let f = try await Binary.run(Self.exportArgs.prefix(2) + ["--profile", "p"], home: home)
    #expect(f.status == 64 && f.stderr.contains("chmod 600"), "\(f.stderr)")
    chmod(folder + "/p.json", 0o600)
    let ok = try await Binary.run(Self.exportArgs.prefix(2) + ["--profile", "p"], home: home)
    #expect(ok.status == 0, "\(ok.stderr)")
  }

  @Test func theLockFileIsNeverFollowedThroughALink() async throws {
    let home = temporaryHome()
    let folder = home + "/config/s2s-doctor/profiles"
    try SafeFile.createPrivateFolder(folder)
    let victim = home + "/victim"
    try FileManager.default.createSymbolicLink(atPath: folder + "/p-0.json.lock", withDestinationPath: victim)
    let r = try await Binary.run(["profile", "_stress", "--prefix", "p", "--count", "1", "--rounds", "1"], home: home)
    #expect(r.status != 0)
    #expect(!FileManager.default.fileExists(atPath: victim), "the lock followed the link and created \(victim)")
  }

  @Test func newFoldersArePrivate() async throws {
    let home = temporaryHome()
    let r = try await Binary.run(
      ["profile", "_stress", "--prefix", "p", "--count", "1", "--rounds", "1"], home: home, umask: "000")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(mode(home + "/config/s2s-doctor") == 0o700)
    #expect(mode(home + "/config/s2s-doctor/profiles") == 0o700)
    #expect(mode(home + "/config/s2s-doctor/profiles/p-0.json") == 0o600)
  }
}
