import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#endif

/// The interactive prompter: libedit for answers, termios for the secret, UI on stderr.
public final class TerminalPrompter: Prompter {
  private let editor: LineEditor
  public let usesColor: Bool
  public var isInteractive: Bool { true }

  /// `nil` when stdin or stderr is not a terminal. Installs the `TerminalGuard` handlers.
  public init?(
    historyDirectory: String?,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) {
    guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else { return nil }
    TerminalGuard.install()
    guard let editor = LineEditor(programName: "s2s-doctor", historyDirectory: historyDirectory)
    else { return nil }
    self.editor = editor
    usesColor = environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
  }

  public func show(_ text: String) {
    editor.write(TextLayout.wrapLines(Redactor.shared.redact(text), width: TextLayout.columns(of: STDERR_FILENO)))
  }

  public func ask(_ request: PromptRequest) throws(PromptError) -> String {
    try editor.ask(
      request, prompt: Self.fit(request.promptText, width: TextLayout.columns(of: STDERR_FILENO), show: show))
  }

  /// libedit wraps a prompt wider than the terminal inside words and loses track of the cursor:
  /// a long question is shown wrapped above the input line, which keeps its last line (or
  /// just "> " when even that leaves too little room to type).
  static func fit(_ prompt: String, width: Int, show: (String) -> Void) -> String {
    let room = 38  // a GUID and a little more
    guard TextLayout.visibleCount(prompt) > width - room else { return prompt }
    var lines = TextLayout.wrap(prompt, indent: "", width: width).split(separator: "\n").map(String.init)
    if let last = lines.last, TextLayout.visibleCount(last) <= width - room {
      lines.removeLast()
      show(lines.joined(separator: "\n") + "\n")
      return last + " "
    }
    show(lines.joined(separator: "\n") + "\n")
    return "> "
  }

  public func askSecret(_ label: String) throws(PromptError) -> [UInt8] {
    try SecretReader.read(prompt: label + ": ") { text in
      FileHandle.standardError.write(Data(text.utf8))
    }
  }

  public func remember(_ answer: String, field: String) {
    editor.remember(answer, field: field)
  }
}

/// The prompter for a session without a terminal: it shows plain text on stderr and never
/// reads standard input. Every question must already have an answer (flags, environment,
/// `--answers`); asking one is an error naming the field.
public final class PlainPrompter: Prompter {
  public var isInteractive: Bool { false }
  public var usesColor: Bool { false }

  public init() {}

  public func show(_ text: String) {
    FileHandle.standardError.write(Data(Redactor.shared.redact(text).utf8))
  }

  public func ask(_ request: PromptRequest) throws(PromptError) -> String {
    throw .notInteractive(field: request.field ?? request.label)
  }

  public func askSecret(_ label: String) throws(PromptError) -> [UInt8] {
    throw .notInteractive(field: "secret")
  }
}

/// Where the wizard keeps its files.
public enum WizardPaths {
  /// `$XDG_STATE_HOME/s2s-doctor/history` (default `~/.local/state/s2s-doctor/history`).
  public static func historyDirectory(environment: [String: String]) -> String {
    let base: String
    if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
      base = xdg
    } else {
      base = (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
    }
    return base + "/s2s-doctor/history"
  }
}
