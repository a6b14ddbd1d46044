import ArgumentParser
import Foundation
import S2SDoctorCore
import S2SDoctorReports

struct Explain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Explain an error: an AADSTS code, a BC error code, a check or reason id, or pasted error text.",
    discussion: """
      Examples:
        s2s-doctor explain AADSTS7000215
        s2s-doctor explain Authentication_InvalidCredentials
        pbpaste | s2s-doctor explain -
        s2s-doctor explain --from pipeline.log --endpoint bc-api
      Exit codes: 0 diagnosed · 3 nothing to diagnose · 64 usage error.
      """)

  @Argument(help: "A code, an id, error text, or - to read standard input.")
  var input: [String] = []

  @Option(name: .customLong("from"), help: "Read the error text from this file.")
  var file: String?

  @Option(help: "HTTP status of the response, if known.")
  var status: Int?

  @Option(help: "Where the error came from: token, bc-api, automation, admin, onprem or consent.")
  var endpoint: String?

  @Option(help: "text or json.")
  var format: ExplainFormat = .text

  enum ExplainFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

  func validate() throws {
    if input.isEmpty && file == nil {
      throw ValidationError("Give something to explain: a code, an id, text, - for standard input, or --from FILE.")
    }
    if let endpoint, !Explainer.endpoints.contains(endpoint) {
      throw ValidationError("--endpoint must be one of: \(Explainer.endpoints.joined(separator: ", ")).")
    }
    if let status, !(100...599).contains(status) {
      throw ValidationError("--status must be an HTTP status between 100 and 599.")
    }
  }

  func run() throws {
    let text: String
    if let file {
      do {
        text = String(decoding: try BoundedInput.file(file), as: UTF8.self)
      } catch {
        throw ValidationError("\(error) Check the path.")
      }
    } else if input == ["-"] {
      do {
        text = String(decoding: try BoundedInput.read(fd: STDIN_FILENO, what: "Standard input"), as: UTF8.self)
      } catch {
        throw ValidationError("\(error)")
      }
    } else {
      text = input.joined(separator: " ")
    }
    let result = Explainer().explain(text, status: status, endpoint: endpoint)
    switch format {
    case .json: Output.out(Output.encodeJSON(result))
    case .text:
      if result.exitStatus == .nothingToDiagnose {
        Output.err(ConsoleText.nothingToDiagnose)
      } else {
        Output.out(ConsoleText.explain(result, color: Output.useColor, width: Output.width))
      }
    }
    terminate(result.exitStatus)
  }
}

struct ListChecks: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "checks", abstract: "List the checks: id, title, prerequisites and the reasons each can report.")

  @Option(help: "text or json.")
  var format: Explain.ExplainFormat = .text

  @OptionGroup var checkFolders: CheckFolderOptions

  struct Listing: Encodable {
    var schemaVersion = 1
    var checks: [Entry]
    struct Entry: Encodable {
      var id: String
      var title: String
      var requires: [String]
      var reasons: [String]
      var scope: String
      var probe: String
      /// `built-in`, or the folder the check was added from.
      var source: String
    }
  }

  func run() throws {
    let catalogue = try checkFolders.catalogue()
    let listing = Listing(
      checks: catalogue.checks.map {
        .init(
          id: $0.id, title: $0.title, requires: $0.requires, reasons: $0.reasons, scope: $0.scope, probe: $0.probe,
          source: $0.origin ?? "built-in")
      })
    switch format {
    case .json: Output.out(Output.encodeJSON(listing))
    case .text: Output.out(ConsoleText.checkList(catalogue, width: Output.width(of: STDOUT_FILENO)))
    }
  }
}
