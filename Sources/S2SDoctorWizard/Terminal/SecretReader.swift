import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#endif

/// Reads a secret from the terminal with echo off; never through libedit, so it cannot reach a
/// history, and never as a `String` until the caller decides to make one.
///
/// The kernel's canonical mode does the line editing (backspace works), ISIG keeps Ctrl-C a
/// signal and ECHONL shows the newline. Echo goes off *before* the prompt is printed, with
/// `TCSAFLUSH`, so type-ahead that was already echoed is discarded rather than used silently.
enum SecretReader {
  static func read(prompt: String, write: (String) -> Void) throws(PromptError) -> [UInt8] {
    let fd = STDIN_FILENO
    let resumesAtEntry = TerminalGuard.resumes
    var old = termios()
    let haveMode = tcgetattr(fd, &old) == 0
    if haveMode {
      var quiet = old
      quiet.c_lflag &= ~tcflag_t(ECHO | ECHOE | ECHOK)
      quiet.c_lflag |= tcflag_t(ECHONL | ICANON | ISIG)
      _ = tcsetattr(fd, TCSAFLUSH, &quiet)
    }
    TerminalGuard.beginPrompt()
    defer {
      TerminalGuard.endPrompt()
      if haveMode { _ = tcsetattr(fd, TCSANOW, &old) }
    }
    write(prompt)

    var bytes: [UInt8] = []
    bytes.reserveCapacity(256)
    var resumes = resumesAtEntry
    while true {
      switch TerminalGuard.readByte(resumesAtEntry: resumes) {
      case .byte(let b):
        if b == 0x0A || b == 0x0D { return bytes }
        bytes.append(b)
        if bytes.count > 16_384 {
          wipe(&bytes)
          throw .failed(EOVERFLOW)
        }
      case .endOfInput:
        if bytes.isEmpty { throw .endOfInput }
        return bytes
      case .interrupted:
        let signal = TerminalGuard.pending
        if signal != 0 {
          wipe(&bytes)
          throw .interrupted(signal)
        }
        // Back from Ctrl-Z: the kernel dropped the partial line; ask again, echo still off.
        resumes = TerminalGuard.resumes
        wipe(&bytes)
        bytes.removeAll(keepingCapacity: true)
        write("\n" + prompt)
      case .failed(let code):
        wipe(&bytes)
        throw .failed(code)
      }
    }
  }

  /// Best-effort overwrite of a buffer that held a secret.
  static func wipe(_ bytes: inout [UInt8]) {
    for i in bytes.indices { bytes[i] = 0 }
  }
}

/// For `check`: asks for the client secret on the terminal when no flag, variable or profile
/// gave one, with echo off, through the same reader as the wizard (never libedit, never history).
public enum SecretPrompt {
  /// Only when both the keyboard and the screen are a terminal.
  public static var isAvailable: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 }

  /// The typed secret; nil on Ctrl-D or an empty line. Ctrl-C restores the terminal and ends
  /// the process by the signal (exit 130 in the shell).
  public static func ask(_ label: String) -> String? {
    TerminalGuard.install()
    CoreDumps.disable()
    do {
      let bytes = try SecretReader.read(prompt: label) { text in
        _ = text.withCString { Glibc.write(STDERR_FILENO, $0, strlen($0)) }
      }
      return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    } catch .interrupted(let signal) {
      TerminalGuard.exitBySignal(signal)
    } catch {
      return nil
    }
  }
}
