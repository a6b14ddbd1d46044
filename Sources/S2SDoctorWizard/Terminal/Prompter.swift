/// Why a prompt returned without an answer.
public enum PromptError: Error, Equatable, Sendable {
  /// Ctrl-D on an empty line, or the input closed.
  case endOfInput
  /// A signal arrived while waiting (Ctrl-C is SIGINT). The terminal is already restored.
  case interrupted(Int32)
  /// The session is not interactive, so nothing may be asked; `field` needed an answer.
  case notInteractive(field: String)
  /// Reading the terminal failed (errno).
  case failed(Int32)
}

/// One line to ask for.
public struct PromptRequest: Sendable, Equatable {
  /// The field name: selects the history (`nil` = no history, e.g. "Press Enter").
  public var field: String?
  /// The question, without default or colon.
  public var label: String
  /// Shown as `[default]` and returned for an empty line.
  public var defaultValue: String?
  /// Tab completes against these (case-insensitively, the last word of the line).
  public var completions: [String]

  public init(
    field: String?, label: String, defaultValue: String? = nil, completions: [String] = []
  ) {
    self.field = field
    self.label = label
    self.defaultValue = defaultValue
    self.completions = completions
  }

  /// `Label [default]: `
  public var promptText: String {
    if let defaultValue, !defaultValue.isEmpty { return "\(label) [\(defaultValue)]: " }
    return "\(label): "
  }
}

/// How the wizard talks to a person: the real terminal (libedit), or a script in tests.
///
/// Implementations are used from one task at a time; they are not `Sendable`.
public protocol Prompter: AnyObject {
  /// Whether questions can be asked at all.
  var isInteractive: Bool { get }
  /// Whether ANSI colour may be used in `show`.
  var usesColor: Bool { get }
  /// Shows text (already formatted, with its own newlines). Implementations redact it.
  func show(_ text: String)
  /// Asks for one line. Returns the text typed, or `defaultValue` for an empty line.
  func ask(_ request: PromptRequest) throws(PromptError) -> String
  /// Asks for a secret without echo and without history. The caller must wipe the bytes.
  func askSecret(_ label: String) throws(PromptError) -> [UInt8]
  /// Records an answer that passed validation in the field's history. Never called for a secret.
  func remember(_ answer: String, field: String)
}

extension Prompter {
  public func remember(_ answer: String, field: String) {}
}
