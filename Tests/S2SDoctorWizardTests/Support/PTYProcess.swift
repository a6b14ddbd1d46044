import Foundation
import S2SDoctorTestSupport

#if canImport(Glibc)
  import Glibc
#endif

struct PTYError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// How a child process ended.
struct ExitState: Equatable, CustomStringConvertible {
  var code: Int32?
  var signal: Int32?

  init(waitStatus status: Int32) {
    let low = status & 0x7F
    if low == 0 {
      code = (status >> 8) & 0xFF
    } else if low != 0x7F {
      signal = low
    }
  }

  var description: String {
    if let code { return "exit \(code)" }
    if let signal { return "signal \(signal)" }
    return "unknown"
  }
}

/// A child process on a pseudo-terminal, for driving interactive sessions from tests.
///
/// The child starts in its own session (POSIX_SPAWN_SETSID) and opens the slave by name, so the
/// slave becomes its controlling terminal and ^C (0x03) turns into SIGINT. Readiness is judged
/// from the terminal mode (`tcgetattr` on the master reports the slave's termios): ICANON off
/// means libedit is reading; ECHO off with ICANON on means the secret prompt is up.
final class PTYProcess {
  let pid: pid_t
  let master: Int32
  private var raw: [UInt8] = []
  private var matchedUpTo = 0
  private var exitState: ExitState?

  init(
    path: String, arguments: [String], environment: [String: String], rows: UInt16 = 40,
    columns: UInt16 = 200
  )
    throws
  {
    var masterFD: Int32 = -1
    var slaveFD: Int32 = -1
    var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
    guard openpty(&masterFD, &slaveFD, nil, nil, &size) == 0 else {
      throw PTYError("openpty failed: \(String(cString: strerror(errno)))")
    }
    // Else children of tests running in parallel inherit them and keep the pty open.
    _ = fcntl(masterFD, F_SETFD, FD_CLOEXEC)
    _ = fcntl(slaveFD, F_SETFD, FD_CLOEXEC)
    var nameBuffer = [CChar](repeating: 0, count: 256)
    guard ttyname_r(slaveFD, &nameBuffer, nameBuffer.count) == 0 else {
      close(masterFD)
      close(slaveFD)
      throw PTYError("ttyname_r failed")
    }
    let slaveName = String(
      decoding: nameBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    // Opened after setsid, so it becomes the controlling terminal.
    posix_spawn_file_actions_addopen(&actions, 0, slaveName, O_RDWR, 0)
    posix_spawn_file_actions_adddup2(&actions, 0, 1)
    posix_spawn_file_actions_adddup2(&actions, 0, 2)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var all = sigset_t()
    sigfillset(&all)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setsigmask(&attributes, &none)
    let setsid: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc; not visible from Swift)
    posix_spawnattr_setflags(
      &attributes, Int16(setsid | Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)))

    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var child: pid_t = 0
    let rc = posix_spawn(&child, path, &actions, &attributes, argv, envp)
    close(slaveFD)
    guard rc == 0 else {
      close(masterFD)
      throw PTYError("posix_spawn \(path) failed: \(String(cString: strerror(rc)))")
    }
    pid = child
    master = masterFD
  }

  deinit {
    if exitState == nil {
      kill(pid, SIGKILL)
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
    close(master)
  }

  // MARK: Output

  /// Everything the child wrote, with ANSI sequences and carriage returns removed.
  var transcript: String { String(decoding: Self.strip(raw), as: UTF8.self) }

  /// Everything the child wrote, escape sequences included.
  var rawText: String { String(decoding: raw, as: UTF8.self) }

  /// Reads what is available within `timeout` seconds; false when the child closed the terminal.
  @discardableResult
  private func pump(timeout: Double) -> Bool {
    var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
    let ready = poll(&fds, 1, Int32(max(0, timeout * 1000)))
    guard ready > 0 else { return true }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = read(master, &buffer, buffer.count)
    if n > 0 {
      raw.append(contentsOf: buffer[0..<n])
      return true
    }
    return false  // EIO: the slave side is gone
  }

  /// Waits until `text` appears after the previous match.
  func expect(_ text: String, timeout: Double = 15) throws {
    let needle = Array(text.utf8)
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      let clean = Self.strip(raw)
      if let at = Self.find(needle, in: clean, from: matchedUpTo) {
        matchedUpTo = at + needle.count
        return
      }
      if Date() > deadline {
        throw PTYError(
          "timed out waiting for \(text.debugDescription); transcript so far:\n\(transcript)")
      }
      if !pump(timeout: 0.05) {
        if Self.find(needle, in: Self.strip(raw), from: matchedUpTo) == nil {
          throw PTYError(
            "the process closed the terminal before \(text.debugDescription) appeared; transcript:\n\(transcript)"
          )
        }
      }
    }
  }

  // MARK: Input

  func send(_ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
      if n <= 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        return
      }
      offset += n
    }
  }

  // MARK: Terminal modes

  var localModes: tcflag_t? {
    var t = termios()
    guard tcgetattr(master, &t) == 0 else { return nil }
    return t.c_lflag
  }

  private func waitForMode(_ what: String, timeout: Double, _ test: (tcflag_t) -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      if let modes = localModes, test(modes) { return }
      if Date() > deadline {
        throw PTYError("timed out waiting for \(what); transcript:\n\(transcript)")
      }
      pump(timeout: 0.02)
    }
  }

  /// libedit is reading: raw mode (ICANON off).
  func waitForLineEditor(timeout: Double = 15) throws {
    try waitForMode("the line editor", timeout: timeout) { $0 & tcflag_t(ICANON) == 0 }
  }

  /// The secret prompt is up: ECHO off, ICANON on.
  func waitForNoEcho(timeout: Double = 15) throws {
    try waitForMode("the secret prompt", timeout: timeout) {
      $0 & tcflag_t(ECHO) == 0 && $0 & tcflag_t(ICANON) != 0
    }
  }

  // MARK: Exit

  func waitForExit(timeout: Double = 60) throws -> ExitState {
    if let exitState { return exitState }
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      var status: Int32 = 0
      let done = waitpid(pid, &status, WNOHANG)
      if done == pid {
        while pump(timeout: 0.05), Self.hasMore(master) {}
        let state = ExitState(waitStatus: status)
        exitState = state
        return state
      }
      if Date() > deadline {
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        exitState = ExitState(waitStatus: status)
        throw PTYError("the process did not exit within \(timeout) s; transcript:\n\(transcript)")
      }
      pump(timeout: 0.05)
    }
  }

  private static func hasMore(_ fd: Int32) -> Bool {
    var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
    return poll(&fds, 1, 0) > 0 && fds[0].revents & Int16(POLLIN) != 0
  }

  // MARK: Text helpers

  /// Removes ANSI escape sequences, carriage returns, backspaces and bells.
  static func strip(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      if b == 0x1B {
        i += 1
        guard i < bytes.count else { break }
        if bytes[i] == UInt8(ascii: "[") {
          i += 1
          while i < bytes.count, !(0x40...0x7E).contains(bytes[i]) { i += 1 }
          i += 1
        } else if bytes[i] == UInt8(ascii: "]") {
          while i < bytes.count, bytes[i] != 0x07, bytes[i] != 0x1B { i += 1 }
          i += bytes.count > i && bytes[i] == 0x1B ? 2 : 1
        } else {
          i += 1
        }
        continue
      }
      if b < 0x20 && b != 0x0A && b != 0x09 {
        i += 1
        continue
      }
      out.append(b)
      i += 1
    }
    return out
  }

  static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
    guard !needle.isEmpty, hay.count >= needle.count, from <= hay.count - needle.count else {
      return nil
    }
    var i = from
    while i <= hay.count - needle.count {
      if hay[i] == needle[0], Array(hay[i..<(i + needle.count)]) == needle { return i }
      i += 1
    }
    return nil
  }
}

/// Where the binary under test is: next to the test bundle, unless S2S_DOCTOR_BIN says otherwise.
func doctorBinary() throws -> String {
  if let override = ProcessInfo.processInfo.environment["S2S_DOCTOR_BIN"] { return override }
  let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
  var folder = URL(fileURLWithPath: exe).deletingLastPathComponent()
  for _ in 0..<4 {
    let candidate = folder.appendingPathComponent("s2s-doctor").path
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    folder = folder.deletingLastPathComponent()
  }
  throw PTYError("s2s-doctor not found next to \(exe); build it or set S2S_DOCTOR_BIN")
}

/// A private HOME with XDG directories, and the environment for a child in it.
struct Sandbox {
  let home: String

  init() {
    home = temporaryDirectory("home")
  }

  var environment: [String: String] {
    [
      "HOME": home, "XDG_CONFIG_HOME": home + "/.config", "XDG_STATE_HOME": home + "/.local/state",
      "TERM": "xterm-256color", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin", "NO_COLOR": "1",
    ]
  }

  var profilesDirectory: String { home + "/.config/s2s-doctor/profiles" }
  var historyDirectory: String { home + "/.local/state/s2s-doctor/history" }

  /// Every regular file under HOME whose contents hold `needle`.
  func files(containing needle: String) -> [String] {
    var hits: [String] = []
    guard let walker = FileManager.default.enumerator(atPath: home) else { return [] }
    while let relative = walker.nextObject() as? String {
      let path = home + "/" + relative
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
        !isDirectory.boolValue,
        let data = FileManager.default.contents(atPath: path)
      else { continue }
      if String(decoding: data, as: UTF8.self).contains(needle) { hits.append(relative) }
    }
    return hits
  }

  func allFiles() -> [String] {
    (FileManager.default.enumerator(atPath: home)?.allObjects as? [String]) ?? []
  }
}

/// Runs the binary with pipes (no terminal) and collects its output.
struct PipedRun: Sendable {
  var status: Int32
  var stdout: String
  var stderr: String

  static func run(
    _ arguments: [String], environment: [String: String], stdin: String? = nil, timeout: Double = 60
  ) throws -> PipedRun {
    let result = try ProcessRun.runBlocking(
      try doctorBinary(), arguments, environment: environment, stdin: Data((stdin ?? "").utf8), limit: timeout)
    if result.timedOut { throw PTYError("\(arguments) did not finish within \(timeout) s") }
    return PipedRun(status: result.status, stdout: result.stdout, stderr: result.stderr)
  }
}
