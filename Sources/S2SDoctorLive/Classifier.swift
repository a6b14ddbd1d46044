import Foundation
import S2SDoctorCore

/// Maps a non-success answer to one of the reasons a check declares, through the same
/// catalogue rules that `explain` uses for pasted errors.
enum Classifier {

  /// One service answer and the reason the check gave it (for the test that `explain` of the same
  /// answer agrees).
  struct Observation: Sendable {
    var text: String
    var status: Int
    var endpoint: String
    var reason: String
  }

  /// Collects observations while a test runs a scenario; nil in normal runs.
  final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Observation] = []
    func add(_ item: Observation) { lock.withLock { items.append(item) } }
    var observations: [Observation] { lock.withLock { items } }
  }

  @TaskLocal static var recorder: Recorder?

  /// Reasons that mean "the service could not be asked", not "the registration is wrong".
  static let couldNotTestReasons: Set<String> = [
    Reason.entraThrottled, Reason.entraUnavailable, Reason.bcThrottled, Reason.bcUnavailable, Reason.bcServerError,
  ]

  static func outcome(reason: String, detail: String, evidence: [EvidenceItem]) -> Outcome {
    if reason.hasPrefix("network.") || couldNotTestReasons.contains(reason) {
      return .couldNotTest(reason, detail, evidence: evidence)
    }
    return .failed(reason, detail, evidence: evidence)
  }

  static func evidence(_ response: HTTPResponse, prefix: String) -> [EvidenceItem] {
    var items = [
      EvidenceItem("\(prefix).status", String(response.status)),
      EvidenceItem("\(prefix).url", Redactor.shared.redact(response.url)),
    ]
    let signals = SignalExtractor.extract(SearchableText(String(decoding: response.body.prefix(65_536), as: UTF8.self)))
    if !signals.aadsts.isEmpty {
      items.append(.init("\(prefix).aadsts", signals.aadsts.map { "AADSTS\($0)" }.joined(separator: ", ")))
    }
    if let error = signals.oauthError { items.append(.init("\(prefix).error", error)) }
    if let code = signals.bcErrorCode { items.append(.init("\(prefix).code", code)) }
    if let id = signals.correlationId { items.append(.init("\(prefix).correlationId", id)) }
    if let id = signals.traceId ?? response.header("x-ms-request-id") { items.append(.init("\(prefix).traceId", id)) }
    if let id = response.header("ms-correlation-x") ?? response.header("request-id") {
      items.append(.init("\(prefix).requestId", id))
    }
    if let time = signals.timestamp ?? response.header("Date") { items.append(.init("\(prefix).timestamp", time)) }
    if let retry = response.header("Retry-After") { items.append(.init("\(prefix).retryAfter", retry)) }
    if let message = signals.bcMessage {
      items.append(.init("\(prefix).message", Redactor.shared.excerpt(message, limit: 300)))
    }
    return items
  }

  /// A JSON body (or an empty one) is a service answer; anything else came from something in between.
  static func isServiceAnswer(_ response: HTTPResponse) -> Bool {
    if response.body.isEmpty { return true }
    if response.json != nil { return true }
    let type = response.contentType
    if type.contains("xml"), response.text.contains("<error") { return true }
    return false
  }

  /// `explainer` reads with the run's catalogue (the one `LiveSession` was given).
  static func classify(
    _ response: HTTPResponse, endpoint: String, allowed: [String], fallback: String, prefix: String,
    explainer: Explainer
  ) -> Outcome {
    let evidence = evidence(response, prefix: prefix)
    if response.status == 407 {
      return outcome(
        reason: Reason.networkProxyAuthRequired, detail: "a proxy answered 407 Proxy Authentication Required",
        evidence: evidence)
    }
    if (300..<400).contains(response.status) {
      return outcome(
        reason: Reason.networkUnexpectedResponse,
        detail: "HTTP \(response.status) redirect where an API answer was expected", evidence: evidence)
    }
    let serviceAnswer = isServiceAnswer(response)
    // A proxy's or captive portal's HTML (even on a 5xx) is not the service speaking; a 429 is.
    if !serviceAnswer && response.status != 429 {
      let type = response.contentType.isEmpty ? "no content type" : response.contentType
      let start = Redactor.shared.excerpt(response.text, limit: 80).replacingOccurrences(of: "\n", with: " ")
      return outcome(
        reason: Reason.networkUnexpectedResponse,
        detail:
          "HTTP \(response.status) with a body that is not the service's JSON (\(type)): “\(start)”; something between this machine and the service answered",
        evidence: evidence)
    }
    let result = explainer.explain(response.text, status: response.status, endpoint: endpoint)
    // A 429 is the service holding back, whatever AADSTS code (50196, a request loop, for one)
    // explains why: the registration was not tested, and retrying later is the fix.
    let throttled = endpoint == "token" ? Reason.entraThrottled : Reason.bcThrottled
    if response.status == 429, allowed.contains(throttled) {
      return outcome(reason: throttled, detail: detail(response, result.signals), evidence: evidence)
    }
    if let diagnosis = result.diagnoses.first(where: { allowed.contains($0.reason) }) {
      recorder?.add(.init(text: response.text, status: response.status, endpoint: endpoint, reason: diagnosis.reason))
      return outcome(reason: diagnosis.reason, detail: detail(response, result.signals), evidence: evidence)
    }
    if (500...599).contains(response.status) || response.status == 429 {
      let reason =
        endpoint == "token"
        ? (response.status == 429 ? Reason.entraThrottled : Reason.entraUnavailable)
        : (response.status == 429 ? Reason.bcThrottled : Reason.bcUnavailable)
      if allowed.contains(reason) {
        return outcome(reason: reason, detail: detail(response, result.signals), evidence: evidence)
      }
    }
    return outcome(reason: fallback, detail: detail(response, result.signals), evidence: evidence)
  }

  static func detail(_ response: HTTPResponse, _ signals: Signals) -> String {
    var parts = ["HTTP \(response.status)"]
    if !signals.aadsts.isEmpty { parts.append(signals.aadsts.map { "AADSTS\($0)" }.joined(separator: ", ")) }
    if let code = signals.bcErrorCode { parts.append(code) }
    if let error = signals.oauthError { parts.append(error) }
    var text = parts.joined(separator: " ")
    if let message = signals.bcMessage ?? firstLineOfDescription(response) {
      text += ": " + Redactor.shared.excerpt(message, limit: 240)
    }
    return text
  }

  static func firstLineOfDescription(_ response: HTTPResponse) -> String? {
    guard let description = response.json?["error_description"]?.string else { return nil }
    return description.components(separatedBy: "\r\n").first
  }
}
