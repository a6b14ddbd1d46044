import S2SDoctorCore
import S2SDoctorOnPrem

/// Every probe this build has, by the name a check's `probe:` gives. A check folder picks one of
/// these; the catalogue loader rejects any other name (`Catalogue.probeNames`, kept equal to this
/// list by a test).
enum ProbeRegistry {
  typealias Probe = @Sendable (LiveSession, CheckDeclaration) async throws -> Outcome

  static let probes: [String: Probe] = [
    CheckID.inputTenant: { session, _ in await session.inputTenant() },
    CheckID.inputClientId: { session, _ in await session.inputClientID() },
    CheckID.inputCredential: { session, _ in await session.credentialCheck() },
    CheckID.inputTarget: { session, _ in await session.targetCheck() },
    CheckID.inputRedirectUri: { session, _ in await session.inputRedirectURI() },
    CheckID.entraTenant: { session, _ in await session.entraTenant() },
    CheckID.entraToken: { session, _ in await session.entraToken() },
    CheckID.registrationRead: { session, check in await session.registrationProbe(check) },
    CheckID.registrationCredentials: { session, check in await session.registrationProbe(check) },
    CheckID.registrationServicePrincipal: { session, check in await session.registrationProbe(check) },
    CheckID.registrationPermissions: { session, check in await session.registrationProbe(check) },
    CheckID.registrationRedirectUri: { session, check in await session.registrationProbe(check) },
    CheckID.registrationAudience: { session, check in await session.registrationProbe(check) },
    CheckID.tokenClock: { session, _ in await session.tokenClockProbe() },
    CheckID.onpremServerConfig: { session, _ in await session.onPremServerConfig() },
    CheckID.onpremServerLog: { session, _ in await session.onPremServerLog() },
    "http": { session, check in await session.httpProbe(check) },
    "claims": { session, check in await session.claimsProbe(check) },
  ]

  typealias Diagnosis = @Sendable (ConnectionSettings, TokenClaims?) -> Outcome

  /// Swift that chooses the reason for an `http` failure rule's `diagnosis:` (the names are
  /// `HTTPFailureRule.diagnoses`, kept equal to this list by a test).
  static let diagnoses: [String: Diagnosis] = [
    // An on-premises 401 to a token Entra ID issued: what the server's own files say decides.
    "onprem-unauthorized": { settings, claims in
      OnPremUnauthorized.classify(
        settings: settings, claims: claims, audience: claims?.audiences.first ?? BusinessCentral.resource)
    }
  ]
}
