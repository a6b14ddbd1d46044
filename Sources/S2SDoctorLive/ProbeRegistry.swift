import S2SDoctorCore

/// Every probe this build has, by the name a check's `probe:` gives. A check folder picks one of
/// these; the catalogue loader rejects any other name (`Catalogue.probeNames`, kept equal to this
/// list by a test).
enum ProbeRegistry {
  typealias Probe = @Sendable (LiveSession, CheckDeclaration) async throws -> Outcome

  static let probes: [String: Probe] = [
    "input.tenant": { session, _ in await session.inputTenant() },
    "input.client-id": { session, _ in await session.inputClientID() },
    "input.credential": { session, _ in await session.credentialCheck() },
    "input.target": { session, _ in await session.targetCheck() },
    "input.redirect-uri": { session, _ in await session.inputRedirectURI() },
    "entra.tenant": { session, _ in await session.entraTenant() },
    "entra.token": { session, _ in await session.entraToken() },
    "registration.read": { session, check in await session.registrationProbe(check) },
    "registration.credentials": { session, check in await session.registrationProbe(check) },
    "registration.service-principal": { session, check in await session.registrationProbe(check) },
    "registration.permissions": { session, check in await session.registrationProbe(check) },
    "registration.redirect-uri": { session, check in await session.registrationProbe(check) },
    "registration.audience": { session, check in await session.registrationProbe(check) },
    "token.app-only": { session, _ in await session.tokenAppOnlyProbe() },
    "token.audience": { session, _ in await session.tokenAudienceProbe() },
    "token.tenant": { session, _ in await session.tokenTenantProbe() },
    "token.roles": { session, _ in await session.tokenRolesProbe() },
    "token.clock": { session, _ in await session.tokenClockProbe() },
    "onprem.server-config": { session, _ in await session.onPremServerConfig() },
    "onprem.server-log": { session, _ in await session.onPremServerLog() },
    "bc.companies": { session, check in try await session.bcCompanies(check) },
    "bc.company": { session, _ in await session.bcCompany() },
    "bc.automation": { session, check in try await session.bcAutomation(check) },
    "bc.custom-api": { session, check in try await session.bcCustomAPI(check) },
    "bc.admin": { session, check in try await session.bcAdmin(check) },
    "http": { session, check in await session.httpProbe(check) },
  ]
}
