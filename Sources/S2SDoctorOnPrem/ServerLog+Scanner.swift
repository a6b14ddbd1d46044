import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension ServerLog {
  // MARK: scanner

  /// An incremental scanner: `feed` raw file bytes in any chunks, then `finish`.
  public struct Scanner {
    struct Rule {
      var reason: String
      var priority: Int
      var rule: MatchRule
    }

    let explainer: Explainer
    let rules: [Rule]
    let reasons: [String]
    /// Lower-cased phrases of every rule: a line without one of them cannot match.
    let needles: [[UInt8]]
    var findings: [String: Finding] = [:]
    var report = Report()
    var decoder = Decoder()
    var pending: [UInt8] = []
    /// Raw bytes held back until the encoding is known.
    var head: [UInt8] = []
    /// The 1-based number of the line being read.
    var line = 1
    /// The last block ended inside a line (no final newline).
    var openLine = false
    var started = false

    public init(catalogue: Catalogue = .builtIn) {
      explainer = Explainer(catalogue: catalogue)
      reasons =
        catalogue.check(CheckID.onpremServerLog)?.reasons.filter { catalogue.reason($0) != nil }
        ?? ServerLog.fallbackReasons.filter { catalogue.reason($0) != nil }
      var rules: [Rule] = []
      for (priority, id) in reasons.enumerated() {
        guard let reason = catalogue.reason(id) else { continue }
        // Only text rules can match a log line: HTTP status and BC codes describe responses.
        for rule in reason.match
        where !rule.text.isEmpty && rule.aadsts.isEmpty && rule.bc.isEmpty
          && rule.http.isEmpty && rule.oauthError.isEmpty
          && (rule.endpoint.isEmpty || rule.endpoint.contains("onprem"))
        {
          rules.append(Rule(reason: id, priority: priority, rule: rule))
        }
      }
      self.rules = rules
      var needles: [[UInt8]] = []
      for phrase in rules.flatMap(\.rule.text) {
        let needle = Array(phrase.lowercased().utf8)
        if !needle.isEmpty && !needles.contains(needle) { needles.append(needle) }
      }
      self.needles = needles
    }

    public mutating func feed(_ data: Data) {
      guard !data.isEmpty else { return }
      let bytes = [UInt8](data)
      report.bytesScanned += bytes.count
      if !started {
        // The encoding is decided on the first 64 KB, however the input is chunked.
        head += bytes
        if head.count >= Decoder.sniffLength { start() }
        return
      }
      pending += decoder.decode(bytes)
      drain(final: false)
    }

    private mutating func start() {
      started = true
      decoder = Decoder.detect(head)
      report.encoding = decoder.name
      pending += decoder.decode(head)
      head = []
      drain(final: false)
    }

    public mutating func finish() -> Report {
      if !started { start() }
      pending += decoder.flush()
      drain(final: true)
      report.linesScanned = line - 1 + (openLine ? 1 : 0)
      report.findings = reasons.compactMap { findings[$0] }
      return report
    }

    /// Processes complete lines; keeps a trailing partial line unless it is overlong or final.
    private mutating func drain(final: Bool) {
      guard !pending.isEmpty else { return }
      let cut: Int
      if final {
        cut = pending.count
      } else if let newline = pending.lastIndex(of: 0x0A) {
        cut = newline + 1
      } else if pending.count >= ServerLog.maximumLine {
        cut = pending.count
      } else {
        return
      }
      let block = Array(pending[..<cut])
      pending.removeFirst(cut)
      process(block)
    }

    private mutating func process(_ block: [UInt8]) {
      let lowered = [UInt8](unsafeUninitializedCapacity: block.count) { out, count in
        block.withUnsafeBufferPointer { input in
          for i in 0..<input.count {
            let b = input[i]
            out[i] = b >= 0x41 && b <= 0x5A ? b + 32 : b
          }
        }
        count = block.count
      }
      if report.serverInstance == nil { report.serverInstance = Self.serverInstance(in: block, lowered: lowered) }
      let candidate = needles.contains { ServerLog.find($0, in: lowered, from: 0, to: lowered.count) != nil }
      defer { openLine = block.last != 0x0A }
      guard candidate else {
        line += ByteSearch.offsets(of: 0x0A, in: block).count
        return
      }
      var start = 0
      while start < block.count {
        let end = ByteSearch.first(0x0A, in: block, from: start, to: block.count) ?? block.count
        if needles.contains(where: { ServerLog.find($0, in: lowered, from: start, to: end) != nil }) {
          classify(block[start..<end], number: line)
        }
        if end < block.count { line += 1 }
        start = end + 1
      }
    }

    /// Ranks the line against the rules with `Explainer` and records the best reason.
    private mutating func classify(_ raw: ArraySlice<UInt8>, number: Int) {
      var bytes = raw
      if bytes.last == 0x0D { bytes = bytes.dropLast() }
      let text = String(decoding: bytes.prefix(64 << 10), as: UTF8.self)
      let searchable = SearchableText(text)
      var best: (score: Int, priority: Int, reason: String, matched: String)?
      for rule in rules {
        guard let (score, matched) = explainer.scoreServerLogLine(searchable, against: rule.rule) else {
          continue
        }
        if best == nil || score > best!.score || (score == best!.score && rule.priority < best!.priority) {
          best = (score, rule.priority, rule.reason, matched)
        }
      }
      guard let best else { return }
      if var finding = findings[best.reason] {
        finding.count += 1
        findings[best.reason] = finding
      } else {
        findings[best.reason] = Finding(
          reason: best.reason, count: 1, firstLineNumber: number,
          firstLine: ServerLog.excerpt(text, around: rules.filter { $0.reason == best.reason }.flatMap(\.rule.text)),
          matched: best.matched)
      }
      if report.rejectedAudience == nil, let audience = ServerLog.quoted(after: "audiences: '", in: text) {
        report.rejectedAudience = audience
      }
      if report.rejectedIssuer == nil, let issuer = ServerLog.quoted(after: "issuer: '", in: text) {
        report.rejectedIssuer = issuer
      }
    }

    /// `Server instance: BC240` (BC's event header).
    static func serverInstance(in block: [UInt8], lowered: [UInt8]) -> String? {
      let anchor = Array("server instance:".utf8)
      guard let at = ServerLog.find(anchor, in: lowered, from: 0, to: lowered.count) else { return nil }
      var i = at + anchor.count
      while i < block.count, block[i] == 0x20 || block[i] == 0x09 { i += 1 }
      let start = i
      while i < block.count, i - start < 64,
        SignalExtractor.isIdentifier(block[i]) || block[i] == UInt8(ascii: "-")
          || block[i] == UInt8(ascii: "$") || block[i] == UInt8(ascii: ".")
      {
        i += 1
      }
      return i > start ? String(decoding: block[start..<i], as: UTF8.self) : nil
    }
  }

  // MARK: decoding

  /// Turns file bytes into UTF-8: UTF-8 as is; UTF-16 with a byte order mark (Event Viewer's
  /// "Save as text", PowerShell 5's `>` and Export-Clixml) transcoded; other data with NUL bytes
  /// (an `.evtx` file stores its strings as UTF-16 without a mark) with the NULs dropped, which
  /// leaves ASCII text readable at any alignment.
  struct Decoder {
    enum Mode { case utf8, utf16LE, utf16BE, dropNUL }
    var mode = Mode.utf8
    var odd: UInt8?
    var highSurrogate: UInt16?
    var atStart = true

    var name: String {
      switch mode {
      case .utf8: "UTF-8"
      case .utf16LE: "UTF-16LE"
      case .utf16BE: "UTF-16BE"
      case .dropNUL: "binary (NUL bytes ignored)"
      }
    }

    static let sniffLength = 65_536

    static func detect(_ first: [UInt8]) -> Decoder {
      var decoder = Decoder()
      if first.starts(with: [0xFF, 0xFE]) {
        decoder.mode = .utf16LE
      } else if first.starts(with: [0xFE, 0xFF]) {
        decoder.mode = .utf16BE
      } else if ByteSearch.first(0, in: first, from: 0, to: min(first.count, sniffLength)) != nil {
        decoder.mode = .dropNUL
      }
      return decoder
    }

    mutating func decode(_ bytes: [UInt8]) -> [UInt8] {
      switch mode {
      case .utf8:
        return bytes
      case .dropNUL:
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var start = 0
        for zero in ByteSearch.offsets(of: 0, in: bytes) {
          out += bytes[start..<zero]
          start = zero + 1
        }
        out += bytes[start...]
        return out
      case .utf16LE, .utf16BE:
        var input = bytes[...]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2 + 8)
        if let first = odd, let next = input.first {
          append(unit(first, next), to: &out)
          input = input.dropFirst()
          odd = nil
        }
        var i = input.startIndex
        while i + 1 < input.endIndex {
          append(unit(input[i], input[i + 1]), to: &out)
          i += 2
        }
        if i < input.endIndex { odd = input[i] }
        return out
      }
    }

    mutating func flush() -> [UInt8] {
      var out: [UInt8] = []
      if highSurrogate != nil { out += Array("\u{FFFD}".utf8) }
      highSurrogate = nil
      odd = nil
      return out
    }

    func unit(_ a: UInt8, _ b: UInt8) -> UInt16 {
      mode == .utf16LE ? UInt16(b) << 8 | UInt16(a) : UInt16(a) << 8 | UInt16(b)
    }

    private mutating func append(_ unit: UInt16, to out: inout [UInt8]) {
      if atStart {
        atStart = false
        if unit == 0xFEFF { return }  // the byte order mark
      }
      if let high = highSurrogate {
        highSurrogate = nil
        if (0xDC00...0xDFFF).contains(unit) {
          let scalar = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(unit) - 0xDC00)
          out += Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
          return
        }
        out += Array("\u{FFFD}".utf8)
      }
      if (0xD800...0xDBFF).contains(unit) {
        highSurrogate = unit
      } else if (0xDC00...0xDFFF).contains(unit) {
        out += Array("\u{FFFD}".utf8)
      } else if unit < 0x80 {
        if unit != 0 { out.append(UInt8(unit)) }
      } else {
        out += Array(String(Character(Unicode.Scalar(unit)!)).utf8)
      }
    }
  }
}
