/// The real-world error corpus (`Tests/Corpus/entries`): verbatim texts from public sources with
/// their confirmed or documented cause, and how well `explain` reads them.
public struct CorpusEntry: Sendable {
  public var name: String
  public var source: String
  /// confirmed, documented or reported.
  public var confidence: String
  /// The reasons that count as right in first place (`expect` and `also`).
  public var expected: [String]
  public var status: Int?
  public var endpoint: String?
  public var text: String

  /// Parses `key: value` lines, `---`, then the text. Nil when the header is not one.
  public static func parse(name: String, _ raw: String) -> CorpusEntry? {
    guard let divider = raw.range(of: "\n---\n") else { return nil }
    var entry = CorpusEntry(
      name: name, source: "", confidence: "", expected: [], status: nil, endpoint: nil,
      text: String(raw[divider.upperBound...]))
    for line in raw[..<divider.lowerBound].split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let key = line[..<colon].trimmedWhitespace
      let value = line[line.index(after: colon)...].trimmedWhitespace
      switch key {
      case "source": entry.source = value
      case "confidence": entry.confidence = value
      case "expect": entry.expected.insert(value, at: 0)
      case "also": entry.expected += value.split(separator: ",").map { $0.trimmedWhitespace }.filter { !$0.isEmpty }
      case "status": entry.status = Int(value)
      case "endpoint": entry.endpoint = value.isEmpty ? nil : value
      default: break
      }
    }
    return entry.expected.isEmpty ? nil : entry
  }
}

/// Top-1 and top-3 accuracy of `explain` on a corpus, in all and by confidence.
public struct CorpusScore: Sendable {
  public struct Tally: Sendable {
    public var count = 0
    public var top1 = 0
    public var top3 = 0
    public var top1Rate: Double { count == 0 ? 0 : Double(top1) / Double(count) }
    public var top3Rate: Double { count == 0 ? 0 : Double(top3) / Double(count) }
  }
  public var all = Tally()
  public var byConfidence: [String: Tally] = [:]
  /// Entries whose first diagnosis was not one of the expected reasons: (name, expected, got).
  public var misses: [(name: String, expected: [String], got: [String])] = []

  /// Confirmed and documented together: the figure the acceptance names.
  public var established: Tally {
    var t = Tally()
    for key in ["confirmed", "documented"] {
      if let part = byConfidence[key] {
        t.count += part.count
        t.top1 += part.top1
        t.top3 += part.top3
      }
    }
    return t
  }

  public static func evaluate(_ entries: [CorpusEntry], explainer: Explainer = Explainer()) -> CorpusScore {
    var score = CorpusScore()
    for entry in entries {
      let result = explainer.explain(entry.text, status: entry.status, endpoint: entry.endpoint)
      let got = result.diagnoses.map(\.reason)
      let top1 = got.first.map(entry.expected.contains) ?? false
      let top3 = got.prefix(3).contains(where: entry.expected.contains)
      var tally = score.byConfidence[entry.confidence] ?? Tally()
      for index in 0..<2 {
        var t = index == 0 ? score.all : tally
        t.count += 1
        if top1 { t.top1 += 1 }
        if top3 { t.top3 += 1 }
        if index == 0 { score.all = t } else { tally = t }
      }
      score.byConfidence[entry.confidence] = tally
      if !top1 { score.misses.append((entry.name, entry.expected, Array(got.prefix(3)))) }
    }
    return score
  }

  /// The table `make bench` prints.
  public var table: String {
    func row(_ name: String, _ t: Tally) -> String {
      "| \(name) | \(t.count) | \(percent(t.top1Rate)) | \(percent(t.top3Rate)) |\n"
    }
    var out = "| explain on the real-world corpus | entries | top-1 | top-3 |\n|---|---|---|---|\n"
    out += row("confirmed or documented cause", established)
    for key in ["confirmed", "documented", "reported"] { if let t = byConfidence[key] { out += row(key, t) } }
    out += row("all", all)
    return out
  }

  func percent(_ value: Double) -> String {
    let tenths = Int((value * 1000).rounded())
    return "\(tenths / 10).\(tenths % 10)%"
  }
}
