import Foundation
import S2SDoctorCore

extension LiveSession {
  // MARK: token

  func tokenAppOnly(_ grant: TokenGrant) -> Outcome {
    let claims = grant.claims
    if let scp = claims.scopes {
      return .failed(
        Reason.tokenNotAppOnly,
        "the token carries delegated scopes (scp: \(scp)): it was issued to a user, not to the app",
        evidence: claims.displayEvidence)
    }
    if let type = claims.identityType, type != "app" {
      return .failed(
        Reason.tokenNotAppOnly, "the token's idtyp is '\(type)', not 'app'", evidence: claims.displayEvidence)
    }
    return .passed("app-only token (idtyp \(claims.identityType ?? "not set"), no scp)")
  }

  func tokenAudience(_ grant: TokenGrant) -> Outcome {
    let audiences = grant.claims.audiences
    if audiences.contains(where: BusinessCentral.audiences.contains) {
      return .passed("aud \(audiences.joined(separator: ", "))")
    }
    return .failed(
      Reason.tokenAudienceNotBc,
      "the token's aud is \(audiences.isEmpty ? "missing" : audiences.joined(separator: ", ")), not \(BusinessCentral.resource); request the scope \(BusinessCentral.scope)",
      evidence: grant.claims.displayEvidence)
  }

  func tokenTenant(_ grant: TokenGrant) async -> Outcome {
    guard case .success(let discovery) = await discovery() else { return .skipped("tenant discovery failed") }
    guard let tid = grant.claims.tenantID?.lowercased() else {
      return .failed(Reason.tokenTenantMismatch, "the token has no tid claim", evidence: grant.claims.displayEvidence)
    }
    if tid == discovery.tenantID.lowercased() { return .passed("tid \(tid) is the checked tenant") }
    return .failed(
      Reason.tokenTenantMismatch,
      "the token was issued by tenant \(tid), but the checked tenant is \(discovery.tenantID); request the token at https://…/\(discovery.tenantID)/oauth2/v2.0/token",
      evidence: grant.claims.displayEvidence)
  }

  func tokenRoles(_ grant: TokenGrant) -> Outcome {
    guard let roles = grant.claims.roles, !roles.isEmpty else {
      return .failed(
        Reason.tokenRolesMissing,
        "the token has no roles claim: admin consent was not granted for any Business Central application permission (consent URL: \(settings.adminConsentURL ?? "n/a"))",
        evidence: grant.claims.displayEvidence)
    }
    if !roles.contains(BusinessCentral.apiRole) {
      return .failed(
        Reason.tokenApiRoleMissing, "roles are \(roles.joined(separator: ", ")); \(BusinessCentral.apiRole) is missing",
        evidence: grant.claims.displayEvidence)
    }
    if settings.checkAutomation && !roles.contains(BusinessCentral.automationRole) {
      return .failed(
        Reason.tokenAutomationRoleMissing,
        "roles are \(roles.joined(separator: ", ")); \(BusinessCentral.automationRole) is missing (the automation API is in scope; pass --no-automation if it is not needed)",
        evidence: grant.claims.displayEvidence)
    }
    return .passed("roles: \(roles.joined(separator: ", "))")
  }

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
