import Foundation
import S2SDoctorCore

/// Writes to stdout/stderr through the redactor: nothing the tool prints can carry a secret.
public enum Output {
  public static func out(_ text: String) {
    FileHandle.standardOutput.write(Data(Redactor.shared.redact(text).utf8))
  }

  public static func err(_ text: String) {
    FileHandle.standardError.write(Data(Redactor.shared.redact(text).utf8))
  }

  /// Colour only on a terminal, and never with NO_COLOR set.
  public static var useColor: Bool {
    let env = ProcessInfo.processInfo.environment
    if env["NO_COLOR"] != nil { return false }
    if env["TERM"] == "dumb" { return false }
    return isatty(STDOUT_FILENO) == 1
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
