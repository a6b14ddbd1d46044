import ArgumentParser
import Foundation
import S2SDoctorCore

/// `s2s-doctor _corpus Tests/Corpus/entries` (hidden; `make bench`): top-1 and top-3 accuracy of
/// `explain` on the real-world corpus, by the confidence of each entry's cause.
struct CorpusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "_corpus", abstract: "Score explain on a folder of corpus entries (make bench).",
    shouldDisplay: false)

  @Argument(help: "The folder of corpus entries.")
  var directory: String

  @Flag(help: "Also list the entries whose first diagnosis was not an expected reason.")
  var misses = false

  func run() throws {
    let folder = URL(fileURLWithPath: directory)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    let entries = names.sorted().filter { $0.hasSuffix(".txt") }.compactMap { name -> CorpusEntry? in
      guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
        return nil
      }
      return CorpusEntry.parse(name: name, String(decoding: data, as: UTF8.self))
    }
    guard !entries.isEmpty else { throw ValidationError("No corpus entries in \(directory).") }
    let score = CorpusScore.evaluate(entries)
    var out = score.table
    if misses {
      out += "\nmisses:\n"
      for miss in score.misses {
        out +=
          "  \(miss.name): expected \(miss.expected.joined(separator: "|")), got \(miss.got.joined(separator: ", "))\n"
      }
    }
    Output.out(out)
  }
}
