import Foundation
import S2SDoctorCore

@testable import S2SDoctorWizard

/// A prompter driven by a script of replies, recording everything shown and asked.
final class ScriptedPrompter: Prompter {
  enum Reply {
    case line(String)
    /// Enter on an empty line: the default.
    case enter
    case secret(String)
    case endOfInput
    case interrupt(Int32)
  }

  var replies: [Reply]
  private(set) var shown = ""
  private(set) var asked: [PromptRequest] = []
  private(set) var secretLabels: [String] = []
  private(set) var remembered: [(field: String, answer: String)] = []
  let isInteractive: Bool
  var usesColor: Bool { false }

  init(_ replies: [Reply], interactive: Bool = true) {
    self.replies = replies
    self.isInteractive = interactive
  }

  /// Everything shown plus every prompt, in order of appearance (roughly a transcript).
  private(set) var transcript = ""

  func show(_ text: String) {
    let clean = Redactor.shared.redact(text)
    shown += clean
    transcript += clean
  }

  func ask(_ request: PromptRequest) throws(PromptError) -> String {
    guard isInteractive else { throw .notInteractive(field: request.field ?? request.label) }
    asked.append(request)
    transcript += request.promptText
    guard !replies.isEmpty else { throw .endOfInput }
    switch replies.removeFirst() {
    case .line(let text):
      transcript += text + "\n"
      return text.isEmpty ? (request.defaultValue ?? "") : text
    case .enter:
      transcript += "\n"
      return request.defaultValue ?? ""
    case .secret:
      fatalError("script expected a secret prompt, got \(request.promptText)")
    case .endOfInput: throw .endOfInput
    case .interrupt(let signal): throw .interrupted(signal)
    }
  }

  func askSecret(_ label: String) throws(PromptError) -> [UInt8] {
    guard isInteractive else { throw .notInteractive(field: "secret") }
    secretLabels.append(label)
    transcript += label + ": \n"
    guard !replies.isEmpty else { throw .endOfInput }
    switch replies.removeFirst() {
    case .secret(let text): return Array(text.utf8)
    case .enter: return []
    case .line(let text): return Array(text.utf8)
    case .endOfInput: throw .endOfInput
    case .interrupt(let signal): throw .interrupted(signal)
    }
  }

  func remember(_ answer: String, field: String) {
    remembered.append((field, answer))
  }
}

/// Services that record their calls and answer from canned values.
final class FakeServices: @unchecked Sendable {
  private let lock = NSLock()
  private var _checkRuns: [[String]] = []
  private var _checkedSettings: [ConnectionSettings] = []
  var discovery: DiscoveredTenant?
  /// Reports returned by successive runs (the last one repeats).
  var reports: [RunReport]
  let store: ProfileStore

  init(reports: [RunReport], discovery: DiscoveredTenant? = nil, directory: String) {
    self.reports = reports
    self.discovery = discovery
    self.store = ProfileStore(directory: directory)
  }

  var checkRuns: [[String]] { lock.withLock { _checkRuns } }
  var checkedSettings: [ConnectionSettings] { lock.withLock { _checkedSettings } }

  var services: WizardServices {
    WizardServices(
      discoverTenant: { [self] _, _ in discovery },
      runChecks: { [self] settings, _, only in
        lock.withLock {
          _checkRuns.append(only)
          _checkedSettings.append(settings)
          let report = reports.count > 1 ? reports.removeFirst() : reports[0]
          return report
        }
      },
      render: { report, _ in
        report.results.map {
          "[\($0.status.rawValue)] \($0.check)\($0.reason.map { " — " + $0 } ?? "")"
        }
        .joined(separator: "\n") + "\n"
      },
      profileStore: store)
  }
}

/// Reports for fake check runs.
enum Reports {
  static func make(_ items: [(String, Outcome)]) -> RunReport {
    let catalogue = Catalogue.builtIn
    let results = items.map { id, outcome in
      CheckResult(
        declaration: catalogue.check(id)!, outcome: outcome, durationMs: 1, catalogue: catalogue)
    }
    return RunReport(
      tool: ToolInfo(version: "test", platform: "test"),
      target: ConnectionSettings().targetInfo(hasSecret: true), startedAt: Date(),
      finishedAt: Date(),
      results: results)
  }

  static let allPassed = make([
    ("entra.token", .passed()), ("token.roles", .passed()), ("bc.companies", .passed()),
  ])
  static let rolesMissing = make([
    ("entra.token", .passed()), ("token.roles", .failed("token.roles-missing")),
    ("bc.companies", .couldNotTest(nil, "needs token.roles")),
  ])
  static let rolesOnlyPassed = make([("entra.token", .passed()), ("token.roles", .passed())])
  static let notRegistered = make([
    ("entra.token", .passed()), ("token.roles", .passed()),
    ("bc.companies", .failed("bc.app-not-accepted")),
  ])
  static let companiesOnlyPassed = make([("bc.companies", .passed())])
}

/// All temporary files of this test process, removed when it exits.
private let testRoot: String = {
  let root = FileManager.default.temporaryDirectory.path + "/s2s-wizard-tests-\(getpid())"
  try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
  atexit {
    try? FileManager.default.removeItem(
      atPath: FileManager.default.temporaryDirectory.path + "/s2s-wizard-tests-\(getpid())")
  }
  return root
}()

/// A fresh temporary directory (under the process's test root).
func temporaryDirectory(_ name: String = "wizard") -> String {
  let path = testRoot + "/\(name)-\(UUID().uuidString.prefix(8))"
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
