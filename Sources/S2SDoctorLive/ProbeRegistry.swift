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
    CheckID.tokenAppOnly: { session, _ in await session.tokenAppOnlyProbe() },
    CheckID.tokenAudience: { session, _ in await session.tokenAudienceProbe() },
    CheckID.tokenTenant: { session, _ in await session.tokenTenantProbe() },
    CheckID.tokenRoles: { session, _ in await session.tokenRolesProbe() },
    CheckID.tokenClock: { session, _ in await session.tokenClockProbe() },
    CheckID.onpremServerConfig: { session, _ in await session.onPremServerConfig() },
    CheckID.onpremServerLog: { session, _ in await session.onPremServerLog() },
    CheckID.bcCompanies: { session, check in try await session.bcCompanies(check) },
    CheckID.bcCompany: { session, _ in await session.bcCompany() },
    "http": { session, check in await session.httpProbe(check) },
  ]
}
