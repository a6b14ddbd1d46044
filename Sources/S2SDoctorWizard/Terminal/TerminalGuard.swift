import CLibEdit
import S2SDoctorCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

// State shared with the signal handlers. Everything here is either an atomic or a raw pointer
// allocated up front, and `TerminalGuard.install()` touches all of it before any handler can
// run, so the handlers never trigger a lazy global initialisation.
private let pendingSignal = Atomic<Int32>(0)
private let promptActive = Atomic<Bool>(false)
private let resumeCount = Atomic<Int32>(0)
private let wakeReadFD = Atomic<Int32>(-1)
private let wakeWriteFD = Atomic<Int32>(-1)
private let ttyReadFD = Atomic<Int32>(-1)
private let haveSavedMode = Atomic<Bool>(false)
nonisolated(unsafe) private let savedMode = UnsafeMutablePointer<termios>.allocate(capacity: 1)
nonisolated(unsafe) private let suspendedPromptMode = UnsafeMutablePointer<termios>.allocate(
  capacity: 1)

/// Wakes whoever waits in `TerminalGuard.readByte` (async-signal-safe).
private func wakePrompt() {
  let fd = wakeWriteFD.load(ordering: .acquiring)
  guard fd >= 0 else { return }
  var byte: UInt8 = 1
  _ = write(fd, &byte, 1)
}

private func restoreStartupMode() {
  if haveSavedMode.load(ordering: .acquiring) {
    _ = tcsetattr(STDIN_FILENO, TCSANOW, savedMode)
  }
}

/// INT, TERM, HUP, QUIT: put the terminal back, then either hand the signal to the waiting
/// prompt (which unwinds and dies by it) or die right away.
private func fatalSignalHandler(_ signal: Int32) {
  let savedErrno = errno
  // Drop half-typed input (a secret!) so that the shell does not read it as a command.
  _ = tcflush(STDIN_FILENO, TCIFLUSH)
  restoreStartupMode()
  if promptActive.load(ordering: .acquiring) {
    pendingSignal.store(signal, ordering: .releasing)
    wakePrompt()
    errno = savedErrno
    return
  }
  _ = cle_default_handler(signal)
  _ = cle_unblock(signal)
  _ = raise(signal)
  errno = savedErrno
}

/// Ctrl-Z: give the shell its terminal mode back, stop, and on `fg` re-apply the prompt's mode
/// (raw for libedit, no echo for the secret) and wake the prompt so that it redraws.
private func stopSignalHandler(_ signal: Int32) {
  let savedErrno = errno
  let inPrompt = promptActive.load(ordering: .acquiring)
  if inPrompt { _ = tcgetattr(STDIN_FILENO, suspendedPromptMode) }
  // Unread input (half a secret) must not reach the shell, nor be echoed by the shell's mode.
  _ = tcflush(STDIN_FILENO, TCIFLUSH)
  restoreStartupMode()
  _ = cle_default_handler(SIGTSTP)
  _ = cle_unblock(SIGTSTP)
  _ = raise(SIGTSTP)
  // Continued.
  _ = cle_install_handler(SIGTSTP, stopSignalHandler)
  if inPrompt { _ = tcsetattr(STDIN_FILENO, TCSANOW, suspendedPromptMode) }
  resumeCount.add(1, ordering: .sequentiallyConsistent)
  wakePrompt()
  errno = savedErrno
}

/// Restores the terminal on every way out of an interactive session, and turns signals into
/// something a blocking prompt can notice.
///
/// libedit's own signal handling (`EL_SIGNAL`) stays off: it re-sends the signal to the whole
/// process group. Instead these `sigaction` handlers (no `SA_RESTART`) restore the startup
/// terminal mode, flush pending input and wake the prompt through a self-pipe. Prompts read
/// from a non-blocking re-open of the terminal with `poll`, so no signal is ever lost between
/// two reads.
public enum TerminalGuard {
  public static let fatalSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

  private static let installed = Atomic<Bool>(false)

  /// Installs the handlers. Call once, before the first prompt, only when stdin is a terminal.
  public static func install() {
    guard !installed.exchange(true, ordering: .acquiringAndReleasing) else { return }
    // Touch all shared state before a handler can look at it.
    _ = pendingSignal.load(ordering: .relaxed)
    _ = promptActive.load(ordering: .relaxed)
    _ = resumeCount.load(ordering: .relaxed)
    suspendedPromptMode.initialize(to: termios())
    savedMode.initialize(to: termios())
    if tcgetattr(STDIN_FILENO, savedMode) == 0 {
      haveSavedMode.store(true, ordering: .releasing)
    }

    var fds: [Int32] = [-1, -1]
    if pipe(&fds) == 0 {
      for fd in fds {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
      }
      wakeReadFD.store(fds[0], ordering: .releasing)
      wakeWriteFD.store(fds[1], ordering: .releasing)
    }

    // An open, not a dup: O_NONBLOCK on a dup would also change the shell's fd 0.
    if let name = ttyname(STDIN_FILENO) {
      let fd = open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
      if fd >= 0 { ttyReadFD.store(fd, ordering: .releasing) }
    }

    CoreDumps.disable()
    for signal in fatalSignals { _ = cle_install_handler(signal, fatalSignalHandler) }
    _ = cle_install_handler(SIGTSTP, stopSignalHandler)
  }

  public static var isInstalled: Bool { installed.load(ordering: .acquiring) }

  /// Puts the terminal back into the mode it had at `install()`.
  public static func restore() { restoreStartupMode() }

  /// Restores the terminal and dies by `signal`, so that a calling shell sees 128+signal and
  /// stops a surrounding script or loop (bash only does that for a real SIGINT death).
  public static func exitBySignal(_ signal: Int32) -> Never {
    restoreStartupMode()
    _ = cle_default_handler(signal)
    _ = cle_unblock(signal)
    _ = raise(signal)
    _exit(128 + signal)
  }

  // MARK: For prompts

  /// The signal that arrived during the current prompt, or 0.
  static var pending: Int32 { pendingSignal.load(ordering: .acquiring) }

  /// How often the process was continued after Ctrl-Z.
  static var resumes: Int32 { resumeCount.load(ordering: .acquiring) }

  static func beginPrompt() { promptActive.store(true, ordering: .sequentiallyConsistent) }
  static func endPrompt() { promptActive.store(false, ordering: .sequentiallyConsistent) }

  enum ReadResult: Equatable {
    case byte(UInt8)
    case endOfInput
    /// A signal arrived, or the process was resumed after Ctrl-Z (compare `resumes`).
    case interrupted
    case failed(Int32)
  }

  /// Reads one byte from the terminal; returns early when a signal arrives or after a resume.
  static func readByte(resumesAtEntry: Int32) -> ReadResult {
    let tty = ttyReadFD.load(ordering: .acquiring)
    let fd = tty >= 0 ? tty : STDIN_FILENO
    let wake = wakeReadFD.load(ordering: .acquiring)
    while true {
      // Checked before blocking: a signal that arrived while the caller was busy is not lost.
      if pending != 0 || resumes != resumesAtEntry { return .interrupted }
      var fds = [
        pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
        pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
      ]
      let ready = poll(&fds, wake >= 0 ? 2 : 1, -1)
      if ready < 0 {
        if errno == EINTR { continue }
        return .failed(errno)
      }
      if wake >= 0 && fds[1].revents != 0 {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(wake, &sink, sink.count) > 0 {}
        continue
      }
      if fds[0].revents != 0 {
        var byte: UInt8 = 0
        let n = read(fd, &byte, 1)
        if n == 1 { return .byte(byte) }
        if n == 0 { return .endOfInput }
        // The queue can be flushed (by ^C or tcflush) between poll and read.
        if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
        if errno == EIO { return .endOfInput }
        return .failed(errno)
      }
    }
  }
}

/// Locale set-up for libedit: without an UTF-8 `LC_CTYPE` it silently drops non-ASCII input.
public enum TerminalLocale {
  private static let done = Atomic<Bool>(false)

  public static func prepare() {
    guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
    _ = setlocale(LC_CTYPE, "")
    if !isUTF8 { _ = setlocale(LC_CTYPE, "C.UTF-8") }
  }

  static var isUTF8: Bool {
    guard let codeset = cle_codeset() else { return false }
    let name = String(cString: codeset).uppercased()
    return name == "UTF-8" || name == "UTF8"
  }
}
