import CLibEdit
import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#endif

// C callbacks: plain functions without captures; the editor is found through EL_CLIENTDATA.

private func owner(of el: OpaquePointer?) -> LineEditor? {
  guard let el, let raw = cle_get_clientdata(el) else { return nil }
  return Unmanaged<LineEditor>.fromOpaque(raw).takeUnretainedValue()
}

private func promptCallback(_ el: OpaquePointer?) -> UnsafeMutablePointer<CChar>? {
  owner(of: el)?.promptCString
}

private func completeCallback(_ el: OpaquePointer?, _ key: Int32) -> UInt8 {
  guard let el, let editor = owner(of: el) else { return UInt8(CC_ERROR) }
  return editor.complete(el)
}

private func getcCallback(_ el: OpaquePointer?, _ out: UnsafeMutablePointer<wchar_t>?) -> Int32 {
  guard let editor = owner(of: el), let out else {
    errno = EIO
    return -1
  }
  return editor.readCharacter(into: out)
}

/// Line editing on libedit's native histedit API: one `History` per field, Tab completion
/// against the current question's answers, and a read function that notices signals.
///
/// Owns its `EditLine`; use from one task at a time. The UI goes to stderr.
final class LineEditor {
  private let el: OpaquePointer
  private var histories: [String: OpaquePointer] = [:]
  private let historyDirectory: String?
  fileprivate var promptCString: UnsafeMutablePointer<CChar>?
  private var candidates: [String] = []
  private var resumesAtEntry: Int32 = 0
  /// UTF-8 bytes of a character being decoded.
  private var pendingBytes: [UInt8] = []

  /// `nil` when stdin or stderr is not a terminal, or libedit cannot start.
  init?(programName: String, historyDirectory: String?) {
    guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else { return nil }
    TerminalLocale.prepare()
    guard let el = el_init(programName, cle_stdin(), cle_stderr(), cle_stderr()) else { return nil }
    self.el = el
    self.historyDirectory = historyDirectory
    _ = cle_set_editor(el, "emacs")
    _ = cle_set_signal(el, 0)
    _ = cle_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
    _ = cle_set_prompt(el, promptCallback)
    _ = cle_add_function(el, "s2s-complete", "Complete the answer", completeCallback)
    _ = cle_bind(el, "^I", "s2s-complete")
    _ = cle_set_getc(el, getcCallback)
    // No el_source(): a user's ~/.editrc could rebind Tab or Enter.
  }

  deinit {
    el_end(el)
    for history in histories.values { history_end(history) }
    free(promptCString)
  }

  /// Asks one line. An empty line returns `defaultValue` (or "").
  func ask(_ request: PromptRequest, prompt: String? = nil) throws(PromptError) -> String {
    free(promptCString)
    promptCString = strdup(prompt ?? request.promptText)
    candidates = request.completions
    defer { candidates = [] }
    // A question without a field gets an empty history that is never written.
    if let history = history(for: request.field ?? Self.scratchField) {
      _ = cle_set_history(el, history)
    }

    TerminalGuard.beginPrompt()
    defer { TerminalGuard.endPrompt() }
    resumesAtEntry = TerminalGuard.resumes
    while true {
      pendingBytes.removeAll()
      var count: Int32 = 0
      let line = el_gets(el, &count)
      if let line, count > 0 {
        var text = String(cString: line)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        if text.trimmedSpaces.isEmpty { return request.defaultValue ?? "" }
        return text
      }
      if count == 0 { throw .endOfInput }
      let signal = TerminalGuard.pending
      if signal != 0 { throw .interrupted(signal) }
      if TerminalGuard.resumes != resumesAtEntry {
        // Back from Ctrl-Z: carry the partial line over and read again.
        resumesAtEntry = TerminalGuard.resumes
        if let info = el_line(el), let start = info.pointee.buffer, let end = info.pointee.lastchar {
          let partial = String(
            decoding: UnsafeRawBufferPointer(start: UnsafeRawPointer(start), count: end - start),
            as: UTF8.self)
          if !partial.isEmpty { el_push(el, partial) }
        }
        continue
      }
      throw .failed(errno == 0 ? EIO : errno)
    }
  }

  /// Prints through libedit's own stream so it never overtakes buffered output.
  func write(_ text: String) {
    if let out = cle_get_output(el) {
      fputs(text, out)
      fflush(out)
    } else {
      FileHandle.standardError.write(Data(text.utf8))
    }
  }

  // MARK: History

  private static let scratchField = " scratch"

  private func history(for field: String) -> OpaquePointer? {
    if let existing = histories[field] { return existing }
    guard let history = history_init() else { return nil }
    _ = cle_history_setsize(history, 100)
    _ = cle_history_setunique(history, 1)
    if field != Self.scratchField, let path = historyPath(field),
      FileManager.default.fileExists(atPath: path)
    {
      _ = cle_history_load(history, path)
    }
    histories[field] = history
    return history
  }

  private func historyPath(_ field: String) -> String? {
    guard let historyDirectory,
      field.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    else { return nil }
    return historyDirectory + "/" + field
  }

  /// Adds an accepted answer to the field's history and saves it (0600). Never for a secret.
  func remember(_ line: String, field: String) {
    guard field != Self.scratchField, let history = history(for: field) else { return }
    _ = cle_history_enter(history, line)
    guard let path = historyPath(field), let directory = historyDirectory else { return }
    // libedit follows symbolic links: save only into a private folder, never through a link or
    // into a file someone else could have placed.
    do {
      try SafeFile.createPrivateFolder(directory)
      try SafeFile.requirePrivate(path)
    } catch {
      return
    }
    // libedit writes 0600 itself; make sure of it even if the file existed with other modes.
    let old = umask(0o077)
    _ = cle_history_save(history, path)
    umask(old)
    _ = chmod(path, 0o600)
  }

  // MARK: Reading

  /// EL_GETCFN: one character, decoded from UTF-8, or -1/EINTR on a signal or resume.
  fileprivate func readCharacter(into out: UnsafeMutablePointer<wchar_t>) -> Int32 {
    while true {
      switch TerminalGuard.readByte(resumesAtEntry: resumesAtEntry) {
      case .byte(let byte):
        pendingBytes.append(byte)
        switch UTF8Decoding.decode(pendingBytes) {
        case .complete(let scalar):
          pendingBytes.removeAll()
          out.pointee = wchar_t(bitPattern: scalar)
          return 1
        case .needMore:
          continue
        case .invalid:
          pendingBytes.removeAll()
          out.pointee = 0xFFFD
          return 1
        }
      case .endOfInput:
        return 0
      case .interrupted:
        errno = EINTR
        return -1
      case .failed(let code):
        errno = code
        return -1
      }
    }
  }

  // MARK: Completion

  /// Tab: complete the last word of the line against the question's answers.
  fileprivate func complete(_ el: OpaquePointer) -> UInt8 {
    guard !candidates.isEmpty, let info = el_line(el), let start = info.pointee.buffer,
      let cursor = info.pointee.cursor
    else { return UInt8(CC_REFRESH_BEEP) }
    let before = String(
      decoding: UnsafeRawBufferPointer(start: UnsafeRawPointer(start), count: cursor - start),
      as: UTF8.self)
    switch Completion.complete(before, candidates: candidates) {
    case .none:
      return UInt8(CC_REFRESH_BEEP)
    case .replace(let wordLength, let text):
      el_deletestr(el, Int32(wordLength))
      _ = el_insertstr(el, text)
      return UInt8(CC_REFRESH)
    case .list(let matches):
      write("\n" + matches.joined(separator: "  ") + "\n")
      return UInt8(CC_REDISPLAY)
    }
  }
}

/// Incremental UTF-8 decoding for the read function.
enum UTF8Decoding {
  enum Step: Equatable {
    case complete(UInt32)
    case needMore
    case invalid
  }

  static func decode(_ bytes: [UInt8]) -> Step {
    guard let lead = bytes.first else { return .needMore }
    let length: Int
    switch lead {
    case 0x00...0x7F: return .complete(UInt32(lead))
    case 0xC2...0xDF: length = 2
    case 0xE0...0xEF: length = 3
    case 0xF0...0xF4: length = 4
    default: return .invalid
    }
    for byte in bytes.dropFirst() where byte & 0xC0 != 0x80 { return .invalid }
    if bytes.count < length { return .needMore }
    var decoder = UTF8()
    var iterator = bytes.makeIterator()
    if case .scalarValue(let scalar) = decoder.decode(&iterator) { return .complete(scalar.value) }
    return .invalid
  }
}

/// Tab completion on the last word (after a space or comma), case-insensitive.
public enum Completion {
  public enum Result: Equatable, Sendable {
    case none
    /// Delete `wordLength` characters (Unicode scalars, as libedit counts) before the cursor
    /// and insert `text`.
    case replace(wordLength: Int, text: String)
    /// Several matches and nothing more to add: show them.
    case list([String])
  }

  public static func complete(_ textBeforeCursor: String, candidates: [String]) -> Result {
    let word = String(
      textBeforeCursor.reversed().prefix { $0 != " " && $0 != "," && $0 != "\t" }.reversed())
    let lowered = word.lowercased()
    let matches = candidates.filter { $0.lowercased().hasPrefix(lowered) }
    guard !matches.isEmpty else { return .none }
    if matches.count == 1 {
      return matches[0] == word
        ? .none : .replace(wordLength: word.unicodeScalars.count, text: matches[0])
    }
    // Longest common prefix (case-insensitive), spelled like the first match.
    var prefix = matches[0]
    for match in matches.dropFirst() {
      let a = Array(prefix)
      let b = Array(match)
      var n = 0
      while n < a.count, n < b.count, a[n].lowercased() == b[n].lowercased() { n += 1 }
      prefix = String(a[0..<n])
    }
    if prefix.count > word.count
      || (prefix.count == word.count && prefix != word && !prefix.isEmpty)
    {
      return .replace(wordLength: word.unicodeScalars.count, text: prefix)
    }
    return .list(matches)
  }
}
