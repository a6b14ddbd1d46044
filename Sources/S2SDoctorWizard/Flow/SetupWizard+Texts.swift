import Foundation
import S2SDoctorCore

extension SetupWizard {
  // MARK: Texts

  func show(_ text: String) { prompter.show(text) }

  func bold(_ text: String) -> String {
    prompter.usesColor ? "\u{1B}[1m\(text)\u{1B}[0m" : text
  }

  func indent(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(
      separator: "\n")
  }

  func describe(_ source: ValueSource) -> String {
    switch source {
    case .typed: "typed"
    case .flag: "flag"
    case .environment: "environment"
    case .profile: "profile"
    case .defaultValue: "default"
    case .answers: "answers file"
    case .derived: "derived"
    }
  }

  func origin(of question: Question, _ source: ValueSource) -> String {
    switch source {
    case .answers:
      "\"\(question.answersKey ?? question.field.rawValue)\" in \(input.answersFileName ?? "the answers file")"
    case .environment: question.environmentVariable ?? "the environment"
    case .profile: "profile \(input.profileName)"
    default: question.flag
    }
  }

  func secretOrigin(_ source: ValueSource) -> String {
    source == .environment ? "AZURE_CLIENT_SECRET" : "--client-secret-file/--client-secret-stdin"
  }

  func requirement(_ question: Question) -> String {
    if let key = question.answersKey {
      return "\(question.title): \(question.flag) (or \"\(key)\" in the answers file)"
    }
    return "\(question.title): \(question.flag)"
  }

  func nonInteractiveMessage() -> String {
    var lines = ["setup has no terminal to ask on, and these answers are missing or unusable:"]
    lines += missing.map { "  - missing \($0)" }
    lines += problems.map { "  - \($0)" }
    lines.append("Give them as flags or in the --answers FILE, and run again.")
    return lines.joined(separator: "\n")
  }
}
