import Foundation
import S2SDoctorCore

/// What Microsoft Graph showed of the registration, read with the app's own credential.
struct RegistrationSnapshot: Sendable {
  /// `nil` when the application object is not in the checked tenant (a multitenant app used in a
  /// customer tenant: the object lives in its home tenant).
  var application: JSONValue?
  /// `nil` when the service principal is not visible.
  var servicePrincipal: JSONValue?
  var evidence: [EvidenceItem]
}

extension LiveSession {
  /// The `registration.*` checks. Graph refusing is `could-not-test`, never a failure.
  func registrationProbe(_ check: CheckDeclaration) async -> Outcome {
    let snapshot: RegistrationSnapshot
    switch await registration() {
    case .failure(let error): return error.outcome
    case .success(let found): snapshot = found
    }
    let elsewhere =
      "the application object is not in this tenant (a multitenant app lives in its home tenant); check against the home tenant to see it"
    switch check.probe {
    case CheckID.registrationRead:
      let name = snapshot.application?["displayName"]?.string ?? snapshot.servicePrincipal?["displayName"]?.string
      let count = snapshot.application.map { RegistrationHealth.credentials($0).count }
      return .passed(
        "read '\(name ?? settings.clientID ?? "?")' through Microsoft Graph"
          + (count.map { " (\($0) credential\($0 == 1 ? "" : "s"))" } ?? "; \(elsewhere)"),
        evidence: snapshot.evidence)
    case CheckID.registrationCredentials:
      guard let application = snapshot.application else { return .skipped(elsewhere) }
      var thumbprint: String?
      if let path = settings.certificatePath {
        thumbprint = try? CertificateCredential(pemFile: path).thumbprintSHA1Hex
      }
      let hint = thumbprint == nil ? secret.map { String($0.value.prefix(3)) } : nil
      return RegistrationHealth.credentialOutcome(
        application: application, secretHint: hint, thumbprint: thumbprint, now: Date(),
        warningDays: settings.expiryWarningWindow)
    case CheckID.registrationServicePrincipal:
      return RegistrationHealth.servicePrincipalOutcome(snapshot.servicePrincipal)
    case CheckID.registrationPermissions:
      guard let application = snapshot.application else { return .skipped(elsewhere) }
      guard case .success(let grant) = await token() else { return .skipped("no token") }
      var required = [BusinessCentral.apiRole]
      if settings.checkAutomation { required.append(BusinessCentral.automationRole) }
      if settings.checkAdmin { required.append(BusinessCentral.adminRole) }
      return RegistrationHealth.permissionOutcome(
        application: application, tokenRoles: grant.claims.roles ?? [], required: required)
    case CheckID.registrationRedirectUri:
      guard let application = snapshot.application else { return .skipped(elsewhere) }
      return RegistrationHealth.redirectOutcome(
        application: application, wanted: settings.redirectURI ?? BusinessCentral.onlineRedirectURI)
    case CheckID.registrationAudience:
      return RegistrationHealth.audienceOutcome(
        application: snapshot.application, servicePrincipal: snapshot.servicePrincipal,
        checkedTenant: await tenantSegment(), declaredMultiTenant: settings.multiTenant == true)
    default:
      return .couldNotTest(nil, "this build has no probe for \(check.id)")
    }
  }

  func registration() async -> Result<RegistrationSnapshot, OutcomeError> {
    if let registrationTask { return await registrationTask.value }
    let reader: (GraphReader, Credential)
    do {
      reader = (GraphReader(settings: settings, transport: try transport()), try credential())
    } catch { return .failure(Self.wrap(error)) }
    let read: @Sendable () async -> Result<RegistrationSnapshot, OutcomeError> = {
      await reader.0.read(credential: reader.1)
    }
    let task: Task<Result<RegistrationSnapshot, OutcomeError>, Never>
    if let broker {
      let key = sharingKey + "|graph"
      task = Task { await broker.registration(key: key, make: read) }
    } else {
      task = Task { await read() }
    }
    registrationTask = task
    return await task.value
  }
}

/// Reads the app's own application object and service principal through Microsoft Graph.
struct GraphReader: Sendable {
  let settings: ConnectionSettings
  let transport: any HTTPSending

  static let applicationFields =
    "id,appId,displayName,signInAudience,passwordCredentials,keyCredentials,requiredResourceAccess,web,spa,publicClient"
  static let servicePrincipalFields = "id,appId,displayName,accountEnabled,appOwnerOrganizationId,signInAudience"

  func refused(_ detail: String, evidence: [EvidenceItem] = []) -> LiveSession.OutcomeError {
    LiveSession.OutcomeError(outcome: .couldNotTest(Reason.registrationGraphRefused, detail, evidence: evidence))
  }

  /// Graph's `error.code: message`, or the AADSTS line of a token error.
  static func errorText(_ response: HTTPResponse) -> String {
    guard let json = response.json else { return "HTTP \(response.status)" }
    if let error = json["error"], let code = error["code"]?.string {
      return "\(code): \(error["message"]?.string ?? "")"
    }
    if let description = json["error_description"]?.string {
      return String(description.split(whereSeparator: \.isNewline).first ?? "")
    }
    return "HTTP \(response.status)"
  }

  func read(credential: Credential) async -> Result<RegistrationSnapshot, LiveSession.OutcomeError> {
    let tenant = settings.tenant ?? ""
    let clientID = settings.clientID ?? ""
    let entra = EntraClient(transport: transport, authorityHost: settings.authorityHost)
    let grant: TokenGrant
    do {
      let (response, issued, _) = try await entra.requestToken(
        tenant: tenant, clientID: clientID, credential: credential, scope: MicrosoftGraph.scope)
      guard let issued else {
        return .failure(
          refused(
            "Entra ID would not issue a Microsoft Graph token to the app (\(Self.errorText(response))); the registration cannot be read with the app's own credential",
            evidence: Classifier.evidence(response, prefix: "graph.token")))
      }
      grant = issued
    } catch {
      return .failure(
        LiveSession.OutcomeError(outcome: .couldNotTest(nil, "the Microsoft Graph token request failed: \(error)")))
    }
    let key = "(appId='\(clientID.lowercased())')"
    let base = settings.graphBase + "/v1.0"
    var evidence: [EvidenceItem] = []
    var objects: [JSONValue?] = []
    for (collection, fields) in [
      ("applications", Self.applicationFields), ("servicePrincipals", Self.servicePrincipalFields),
    ] {
      let url = "\(base)/\(collection)\(key)?$select=\(fields)"
      let response: HTTPResponse
      do {
        response = try await transport.send(
          HTTPRequest(
            url: url,
            headers: [
              ("Authorization", "Bearer \(grant.accessToken)"), ("Accept", "application/json"),
              ("client-request-id", UUID().uuidString.lowercased()),
            ]))
      } catch {
        return .failure(
          LiveSession.OutcomeError(outcome: .couldNotTest(nil, "Microsoft Graph could not be reached: \(error)")))
      }
      let prefix = "graph.\(collection)"
      evidence += Classifier.evidence(response, prefix: prefix)
      if let id = response.header("request-id") { evidence.append(.init("\(prefix).requestId", id)) }
      switch response.status {
      case 200:
        guard let json = response.json, json.object != nil else {
          return .failure(
            LiveSession.OutcomeError(
              outcome: .couldNotTest(
                Reason.networkUnexpectedResponse,
                "Microsoft Graph answered \(collection) with HTTP 200 but no JSON object",
                evidence: evidence)))
        }
        objects.append(json)
      case 404:
        objects.append(nil)
      case 401, 403:
        return .failure(
          refused(
            "Microsoft Graph answered HTTP \(response.status) to the app reading its own \(collection == "applications" ? "application object" : "service principal") (\(Self.errorText(response)))",
            evidence: evidence))
      default:
        return .failure(
          LiveSession.OutcomeError(
            outcome: .couldNotTest(
              nil, "Microsoft Graph answered HTTP \(response.status) (\(Self.errorText(response))); try again later",
              evidence: evidence)))
      }
    }
    if objects.allSatisfy({ $0 == nil }) {
      return .failure(
        refused(
          "Microsoft Graph shows neither an application object nor a service principal for \(clientID) in this tenant",
          evidence: evidence))
    }
    return .success(RegistrationSnapshot(application: objects[0], servicePrincipal: objects[1], evidence: evidence))
  }
}
