import Foundation
import S2SDoctorCore

extension LiveSession {
  // MARK: token

  func tokenClock(_ grant: TokenGrant) -> Outcome {
    if let server = grant.serverDate,
      let outcome = Self.expired(grant, at: server, by: "the token endpoint's Date", what: "Entra returned")
    {
      return outcome
    }
    guard let server = grant.serverDate else {
      return .passed("the token endpoint sent no Date header; skew not measured")
    }
    let skew = grant.receivedAt.timeIntervalSince(server)
    let minutes = Int((abs(skew) / 60).rounded())
    if abs(skew) > 300 {
      return .failed(
        Reason.tokenClockSkew,
        "this machine's clock is \(minutes) minutes \(skew > 0 ? "ahead of" : "behind") Entra ID's (server Date \(grant.serverDate.map { ISO8601DateFormatter().string(from: $0) } ?? "?")); fix the time sync (NTP)",
        evidence: [.init("clock.skewSeconds", String(Int(skew)))])
    }
    return .passed("clock within \(Int(abs(skew))) s of Entra ID")
  }

  /// `token.expired` when the token's `exp` is not after `moment` (a server's `Date`, or now):
  /// the token sent was stale, whatever the registration is like.
  static func expired(_ grant: TokenGrant, at moment: Date, by clock: String, what: String = "sent") -> Outcome? {
    guard let exp = grant.claims.expires, exp <= moment else { return nil }
    let format = ISO8601DateFormatter()
    let minutes = Int((moment.timeIntervalSince(exp) / 60).rounded())
    return .failed(
      Reason.tokenExpired,
      "the token \(what) had expired: exp \(format.string(from: exp)) is \(minutes) minutes before \(clock) (\(format.string(from: moment))); a stale token is refused whatever the registration is like, so request a new one",
      evidence: grant.claims.displayEvidence)
  }

  /// A 401 for a token that had expired when the service answered is the token's staleness, not
  /// the app's standing in Business Central.
  func expiredOnArrival(_ response: HTTPResponse, grant: TokenGrant) -> Outcome? {
    guard response.status == 401 else { return nil }
    guard var outcome = Self.expired(grant, at: response.serverDate ?? Date(), by: "the service's Date") else {
      return nil
    }
    outcome.evidence = Classifier.evidence(response, prefix: "response") + outcome.evidence
    return outcome
  }
}
