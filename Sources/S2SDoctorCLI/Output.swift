import Foundation
import S2SDoctorCore
import S2SDoctorReports

/// Writes to stdout/stderr through the redactor: nothing the tool prints can carry a secret.
public enum Output {
  /// Prints to standard output; false when the write failed (a full disk, a closed pipe).
  @discardableResult
  public static func out(_ text: String) -> Bool { write(Redactor.shared.redact(text), to: STDOUT_FILENO) }

  public static func err(_ text: String) { write(Redactor.shared.redact(text), to: STDERR_FILENO) }

  /// Writes the string's UTF-8 in place (no copy into Data: fleet reports run to megabytes).
  /// False when the descriptor refused it; errno says why.
  @discardableResult
  static func write(_ text: String, to fd: Int32) -> Bool {
    var text = text
    return text.withUTF8 { buffer in
      var offset = 0
      while offset < buffer.count {
        let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        offset += n
      }
      return true
    }
  }

  /// Colour only on a terminal, and never with NO_COLOR set.
  public static var useColor: Bool {
    let env = ProcessInfo.processInfo.environment
    if env["NO_COLOR"] != nil { return false }
    if env["TERM"] == "dumb" { return false }
    return isatty(STDOUT_FILENO) == 1
  }

  /// The width to wrap standard output at: `COLUMNS` when set, else the terminal's width, else 80.
  public static var width: Int { width(of: STDOUT_FILENO) }

  /// The same for standard error (the wizard talks there).
  public static var errorWidth: Int { width(of: STDERR_FILENO) }

  static func width(of fd: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
    TextLayout.columns(of: fd, environment: environment)
  }

  public static func encodeJSON<T: Encodable>(_ value: T) -> String {
    guard let data = try? JSONEncoder.stable.encode(value) else { return "{}\n" }
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}

/// Exits with one of the documented codes, after output is flushed.
func terminate(_ status: ExitStatus) -> Never {
  Foundation.exit(status.rawValue)
}
