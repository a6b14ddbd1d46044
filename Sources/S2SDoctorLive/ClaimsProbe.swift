import Foundation
import S2SDoctorCore

/// The declarative `claims` probe: a check folder lists rules over the claims of the Business
/// Central token `entra.token` got; the first rule that holds is the outcome.
extension LiveSession {
  func claimsProbe(_ check: CheckDeclaration) async -> Outcome {
    guard let spec = check.claims else {
      return .couldNotTest(nil, "\(check.id) declares probe claims without claims:")
    }
    guard case .success(let grant) = await token() else { return .skipped("no token") }
    let claims = grant.claims
    let named = Self.claimWords(claims)
    for rule in spec.failures where rule.scope.map({ LiveCheckSuite.applies(scope: $0, settings: settings) }) ?? true {
      let value = claims.claims[rule.claim]
      let items = value.map(Self.claimItems) ?? []
      let holds: Bool
      switch rule.test {
      case "missing": holds = items.isEmpty
      case "present": holds = !items.isEmpty
      case "without": holds = !items.contains(where: rule.values.contains)
      case "other": holds = !items.isEmpty && !items.allSatisfy(rule.values.contains)
      default:  // differs: the template filled from the settings and earlier checks
        guard !items.isEmpty, let template = rule.values.first else { continue }
        switch await fill(template, encode: false) {
        case .success(let expected):
          holds = !items.contains { $0.caseInsensitiveCompare(expected) == .orderedSame }
        case .failure(let missing):
          return .skipped("\(check.id) needs {\(missing.name)}, which no earlier check provided")
        }
      }
      if holds { return .failed(rule.reason, await words(rule.words, named), evidence: claims.displayEvidence) }
    }
    return .passed(await words(spec.passed, named))
  }

  /// A claim's values as text: a list's items, a string, a number.
  static func claimItems(_ value: JSONValue) -> [String] {
    if let number = value.int { return [String(number)] }
    return value.strings.filter { !$0.isEmpty }
  }

  /// Every claim of the token as words for `{claim}` placeholders; the usual ones read
  /// "not set" when the token lacks them.
  static func claimWords(_ claims: TokenClaims) -> [String: String] {
    var words: [String: String] = [:]
    for name in ["aud", "roles", "scp", "idtyp", "tid", "appid", "azp", "iss", "ver", "oid"] { words[name] = "not set" }
    for (name, value) in claims.claims {
      let items = claimItems(value)
      if !items.isEmpty { words[name] = items.joined(separator: ", ") }
    }
    return words
  }
}
