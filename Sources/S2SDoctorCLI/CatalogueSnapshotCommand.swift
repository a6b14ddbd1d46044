import ArgumentParser
import Foundation
import S2SDoctorCore

/// `s2s-doctor _catalogue-snapshot Checks --output FILE` (hidden; `make generate`): validates the
/// YAML catalogue and writes the JSON snapshot the binary starts from.
struct CatalogueSnapshotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "_catalogue-snapshot", abstract: "Write the catalogue snapshot (make generate).",
    shouldDisplay: false)

  @Argument(help: "The Checks/ folder.")
  var directory: String

  @Option(help: "The Swift file to write; unchanged files are not touched.")
  var output: String?

  func run() throws {
    let catalogue: Catalogue
    do {
      catalogue = try Catalogue.load(directory: URL(fileURLWithPath: directory))
    } catch {
      Output.err("s2s-doctor: \(error)\n")
      terminate(.usage)
    }
    let source = try catalogue.snapshotSource()
    guard let output else {
      Output.out(source)
      return
    }
    if (try? String(contentsOfFile: output, encoding: .utf8)) == source { return }
    try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
    Output.err("wrote \(output)\n")
  }
}
