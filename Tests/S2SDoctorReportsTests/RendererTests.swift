import Foundation
import S2SDoctorCore
import Testing

@testable import S2SDoctorReports

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Escaping, the context, custom templates and reading saved runs.
@Suite struct RendererTests {
  /// A run whose texts would break every format if they were not escaped.
  static var hostile: RunReport {
    var report = Fixtures.everyStatus
    var r = report.results[12]
    r.title = #"<script>alert("x")</script> & 'quotes' | pipes"#
    r.detail =
      "line one\nline two | with <b>bold</b> & ]]> and *stars* _under_ `tick` [link](x) #hash"
    r.evidence = [
      "body": "<error code=\"1\">&amp;</error>\u{0}\u{1}\u{1B}[31m",
      "pipe|key": "a | b\r\nc",
    ]
    r.docs = [#"https://example.com/a b?x=<y>&z="q"#]
    report.results[12] = r
    return report
  }

  @Test func htmlEscapesEveryValue() throws {
    let html = try ReportRenderer.render(Self.hostile, format: .html)
    #expect(!html.contains("<script>"))
    #expect(
      html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"))
    #expect(!html.contains("<b>bold</b>"))
    #expect(html.contains(#"href="https://example.com/a%20b?x=%3Cy%3E&amp;z=%22q""#))
    #expect(!html.contains("\u{1}") && !html.contains("\u{0}"))
    #expect(html.hasPrefix("<!DOCTYPE html>"))
  }

  @Test func htmlIsSelfContained() throws {
    for report in [Fixtures.healthy, Fixtures.everyStatus] {
      let html = try ReportRenderer.render(report, format: .html)
      #expect(!html.contains("<script"))
      #expect(!html.contains("<link"))
      #expect(!html.contains("@import"))
      #expect(!html.contains("url("))
      #expect(!html.contains("src="))
      #expect(html.contains("<details"))
      #expect(html.contains("@media print"))
    }
  }

  @Test func junitIsWellFormedXMLWhateverTheInput() throws {
    for report in [Fixtures.healthy, Fixtures.everyStatus, Self.hostile] {
      let xml = try ReportRenderer.render(report, format: .junit)
      #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"))
      let counter = JUnitCounter()
      let parser = XMLParser(data: Data(xml.utf8))
      parser.delegate = counter
      #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
      #expect(counter.counts["testcase"] == report.results.count)
      #expect(counter.counts["failure", default: 0] == report.summary.failed)
      #expect(counter.counts["error", default: 0] == report.summary.couldNotTest)
      #expect(counter.counts["skipped", default: 0] == report.summary.skipped)
      #expect(counter.suiteAttributes["tests"] == String(report.results.count))
      #expect(counter.suiteAttributes["failures"] == String(report.summary.failed))
    }
  }

  @Test func junitFailureCarriesReasonSummaryAndFix() throws {
    let xml = try ReportRenderer.render(Fixtures.everyStatus, format: .junit)
    let start = try #require(xml.range(of: "<failure"))
    let end = try #require(xml.range(of: "</failure>"))
    let body = String(xml[start.lowerBound..<end.upperBound])
    #expect(body.contains(#"type="bc.app-not-accepted""#))
    #expect(body.contains("Reason: bc.app-not-accepted"))
    #expect(body.contains("Summary: Business Central rejected a valid token"))
    #expect(body.contains("Fix: In Business Central, add the app&apos;s client ID"))
    #expect(xml.contains(#"<error message="network.timeout: "#))
    #expect(xml.contains(#"<skipped message="No --api-path given."/>"#))
  }

  @Test func markdownEscapesTableCellsAndFormatting() throws {
    let md = try ReportRenderer.render(Self.hostile, format: .markdown)
    // Every table row keeps its column count: unescaped pipes only between cells.
    for line in md.split(separator: "\n") where line.hasPrefix("|") {
      let unescaped = line.indices.filter { i in
        line[i] == "|" && (i == line.startIndex || line[line.index(before: i)] != "\\")
      }
      let expected =
        line.hasPrefix("| #") || line.hasPrefix("| ---:") || line.hasPrefix("| 1") ? 5 : nil
      if let expected { #expect(unescaped.count == expected, "\(line)") }
      if line.hasPrefix("| pipe") { #expect(unescaped.count == 3, "\(line)") }
    }
    #expect(md.contains(#"\<script\>alert("x")\</script\> & 'quotes' \| pipes"#))
    #expect(
      md.contains(
        ##"line one<br>line two \| with \<b\>bold\</b\> & \]\]\> and \*stars\* \_under\_ \`tick\` \[link\](x) \#hash"##
      ))
    #expect(md.contains("| pipe\\|key | a \\| b<br>c |"))
    #expect(md.contains("https://example.com/a%20b?x=%3Cy%3E&z=%22q"))
  }

  @Test func textIsPlain() throws {
    let text = try ReportRenderer.render(Self.hostile, format: .text)
    #expect(text.contains(#"<script>alert("x")</script> & 'quotes' | pipes"#))
    #expect(!text.contains("&amp;lt;") && !text.contains("&lt;"))
    #expect(!text.contains("\u{0}") && !text.contains("\u{1B}"))
  }

  @Test func jsonRoundTripsTheRedactedReport() throws {
    let json = try ReportRenderer.render(Fixtures.everyStatus, format: .json)
    let decoded = try ReportRenderer.decodeRunReport(Data(json.utf8), path: "x.json")
    #expect(decoded == Fixtures.everyStatus)
  }

  // MARK: context

  @Test func contextOfEveryStatusRun() {
    let c = ReportContext(report: Fixtures.everyStatus)
    #expect(c.status == "failed")
    #expect(c.statusLabel == "FAILED")
    #expect(c.glyph == "✗")
    #expect(c.isFailed && !c.isPassed)
    #expect(c.headline == "10 passed, 1 warning, 1 failed, 1 could not be tested, 4 skipped")
    #expect(
      c.counts == .init(total: 17, passed: 10, warning: 1, failed: 1, skipped: 4, couldNotTest: 1))
    #expect(c.failures.map(\.id) == ["bc.companies", "bc.admin", "token.roles"])
    #expect(c.primary?.id == "bc.companies")
    #expect(c.otherFailures.map(\.id) == ["bc.admin", "token.roles"])
    #expect(c.skippedResults.count == 4)
    #expect(c.durationMs == 10_900)
    #expect(c.durationSeconds == "10.900")
    #expect(
      c.verdict
        == "Start with Business Central accepts the app and lists companies (bc.app-not-accepted): s2s-doctor explain bc.app-not-accepted"
    )
    let failed = c.results[12]
    #expect(failed.index == 13 && failed.area == "bc" && failed.box == "[✗]")
    #expect(failed.steps.map(\.number) == [1, 2, 3])
    #expect(failed.whoFixes == "Business Central administrator" && failed.whoFixesId == "bc-admin")
    #expect(
      failed.evidence.map(\.key) == ["code", "http", "message", "request", "www-authenticate"])
    #expect(failed.durationSeconds == "0.287")
    let passed = c.results[0]
    #expect(passed.reason == nil && passed.explainCommand == nil && !passed.isProblem)
    #expect(!passed.hasSteps && !passed.hasDocs && !passed.hasEvidence)
  }

  @Test func contextOfHealthyRun() {
    let c = ReportContext(report: Fixtures.healthy)
    #expect(c.status == "passed" && c.isPassed)
    #expect(c.headline == "14 passed, 3 skipped")
    #expect(c.primary == nil && !c.hasFailures)
    #expect(c.verdict == "The registration works.")
    #expect(
      c.targetRows.map(\.key) == [
        "deployment", "tenant", "clientId", "environment", "company", "authorityHost", "bcApiHost",
        "credential",
      ])
  }

  @Test func overallStatusIgnoresSkippedAndRanksCouldNotTestOverWarning() {
    func overall(_ statuses: [Status]) -> String {
      let results = statuses.enumerated().map { i, s in
        CheckResult.make(
          check: "x.\(i)", title: "X \(i)", status: s,
          reason: s == .passed || s == .skipped ? nil : "r.\(i)", durationMs: 1)
      }
      return ReportContext(report: Fixtures.run(results)).status
    }
    #expect(overall([.passed, .skipped]) == "passed")
    #expect(overall([.skipped]) == "passed")
    #expect(overall([.passed, .warning]) == "warning")
    #expect(overall([.warning, .couldNotTest]) == "could-not-test")
    #expect(overall([.couldNotTest, .failed, .warning]) == "failed")
  }

  @Test func emptyTextsBecomeNil() {
    let result = CheckResult.make(
      check: "a.b", title: "T", status: .failed, reason: " ", summary: "", detail: "\n", fix: "",
      steps: ["", "one"], docs: [""], durationMs: 0)
    let c = ReportContext(report: Fixtures.run([result]))
    let r = c.results[0]
    #expect(r.reason == nil && r.summary == nil && r.detail == nil && r.fix == nil)
    #expect(r.steps == [.init(number: 1, text: "one")])
    #expect(r.docs.isEmpty && !r.hasDocs)
    #expect(c.verdict == "Start with T.")
  }

  // MARK: templates

  @Test func everyBuiltInTemplateParses() throws {
    let library = try ReportRenderer.builtInLibrary()
    for format in ReportFormat.allCases {
      if let name = format.templateName { #expect(library.getTemplate(named: name) != nil) }
    }
    #expect(ReportRenderer.builtInTemplates.count >= 4)
  }

  @Test func embeddedTemplatesMatchTheTemplatesFolder() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Templates")
    for file in ReportRenderer.builtInTemplates {
      let onDisk = try String(contentsOf: folder.appendingPathComponent(file.path), encoding: .utf8)
      #expect(
        onDisk == file.contents, "Templates/\(file.path) changed: run python3 scripts/embed.py")
    }
  }

  @Test func userTemplateFileReadsTheContextAndBuiltInPartials() throws {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("s2s-doctor-template-\(UUID().uuidString).mustache").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let template =
      "{{% CONTENT_TYPE: TEXT }}\n{{toolName}} {{status}} {{#primary}}{{id}}/{{reason}}{{/primary}} {{counts.failed}} {{count(results)}}\n{{> text}}"
    FileManager.default.createFile(atPath: path, contents: Data(template.utf8))
    let text = try ReportRenderer.render(Fixtures.everyStatus, templateFile: path, redactIDs: false)
    let ticket = try ReportRenderer.render(Fixtures.everyStatus, format: .text)
    #expect(text == "s2s-doctor failed bc.companies/bc.app-not-accepted 1 17\n" + ticket)
  }

  @Test func userTemplateErrorsNameTheFileAndLine() throws {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("s2s-doctor-bad-\(UUID().uuidString).mustache").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    FileManager.default.createFile(
      atPath: path, contents: Data("line one\n{{#results}}\n{{title}}\n".utf8))
    do {
      _ = try ReportRenderer.render(Fixtures.healthy, templateFile: path, redactIDs: false)
      Issue.record("an unclosed section must be refused")
    } catch let error as ReportError {
      #expect("\(error)".hasPrefix(path + ":"))
      #expect("\(error)".contains("not closed"))
    }
    #expect(throws: ReportError.self) { try ReportRenderer.validateTemplate(file: path) }
    #expect(throws: ReportError.unreadable(path: "/nonexistent/t.mustache", why: "no such file")) {
      try ReportRenderer.validateTemplate(file: "/nonexistent/t.mustache")
    }
    #expect(throws: ReportError.unreadable(path: "/nonexistent/t.mustache", why: "no such file")) {
      try ReportRenderer.render(
        Fixtures.healthy, templateFile: "/nonexistent/t.mustache", redactIDs: false)
    }
  }

  // MARK: saved runs

  @Test func savedRunsLoad() throws {
    let path = Snapshot.url("every-status.json").path
    let report = try ReportRenderer.load(runReportAt: path)
    #expect(report == Fixtures.everyStatus)
  }

  @Test func badRunReportsAreRefusedNamingTheFile() {
    func error(_ text: String) -> ReportError? {
      do {
        _ = try ReportRenderer.decodeRunReport(Data(text.utf8), path: "run.json")
        return nil
      } catch {
        return error
      }
    }
    let notJSON = error("{ not json")
    #expect(
      notJSON.map { "\($0)".hasPrefix("run.json is not an s2s-doctor run report (not valid JSON") }
        == true)
    #expect(error(#"{"schemaVersion": 2}"#) == .unsupportedSchema(path: "run.json", found: 2))
    #expect(error(#"{"results": []}"#) == .unsupportedSchema(path: "run.json", found: nil))
    #expect(error("[1, 2]").map { "\($0)".contains("run.json") } == true)
    let missing = error(
      #"{"schemaVersion": 1, "tool": {"name": "s2s-doctor", "version": "1", "platform": "x"}}"#)
    #expect(
      missing.map { "\($0)".contains("missing field target") } == true,
      "\(String(describing: missing))")
    #expect(
      "\(ReportError.unsupportedSchema(path: "run.json", found: 2))".contains(
        "run.json has schemaVersion 2"))
    #expect(throws: ReportError.unreadable(path: "/nonexistent/run.json", why: "no such file")) {
      try ReportRenderer.load(runReportAt: "/nonexistent/run.json")
    }
  }
}

/// Counts elements and keeps the first testsuite's attributes.
final class JUnitCounter: NSObject, XMLParserDelegate {
  var counts: [String: Int] = [:]
  var suiteAttributes: [String: String] = [:]

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
    qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    counts[name, default: 0] += 1
    if name == "testsuite" && suiteAttributes.isEmpty { suiteAttributes = attributes }
  }
}
