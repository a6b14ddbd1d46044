import Foundation
import S2SDoctorCore

/// One change `setup --create` would make; `--plan` prints them as
/// `{"schemaVersion":1,"changes":[{"action","target","detail"}]}`.
public struct PlannedChange: Codable, Sendable, Equatable {
  public var action: String
  public var target: String
  public var detail: String
}

public struct CreationPlan: Codable, Sendable {
  public var schemaVersion = 1
  public var changes: [PlannedChange]
}

/// What the administrator wants: Task 1 of the Business Central S2S set-up.
public struct CreationRequest: Sendable {
  public var displayName: String
  public var multiTenant: Bool
  /// Business Central application permissions, by value (ids are looked up in BC's appRoles).
  public var roles: [String]
  /// The Grant Consent redirect URI, when consent from Business Central is wanted.
  public var redirectURI: String?
  public var secretMonths: Int
  /// Add a secret even when the app has a valid one.
  public var newSecret: Bool
  /// `fix`: the existing application to mend, found by its client ID (never created).
  public var appID: String?
  /// Leave an existing application's signInAudience as it is (`fix` without `--multi-tenant`).
  public var keepAudience = false
  /// A certificate to upload as a key credential instead of adding a secret.
  public var certificate: UploadCertificate?
  /// `fix` in a customer's tenant: the multitenant app (`appID`) lives in its home tenant; only
  /// its service principal and admin consent are made here.
  public var consentOnly = false
  /// `--admin`: the admin center's authorized apps, read and (on apply) updated.
  public var adminCenter: AdminCenterAuthorization?

  public init(
    displayName: String, multiTenant: Bool, roles: [String], redirectURI: String?, secretMonths: Int,
    newSecret: Bool
  ) {
    self.displayName = displayName
    self.multiTenant = multiTenant
    self.roles = roles
    self.redirectURI = redirectURI
    self.secretMonths = secretMonths
    self.newSecret = newSecret
  }

  var audience: String { multiTenant ? "AzureADMultipleOrgs" : "AzureADMyOrg" }
}

/// The result of applying a plan.
public struct CreationResult: Sendable {
  public var appID: String
  /// The new client secret: shown once or written to `--secret-out`, never saved elsewhere.
  public var secret: Secret?
  public var secretEnds: Date?
  public var applied: [PlannedChange]
  /// What happened on the way (a policy that shortened the secret's lifetime).
  public var notes: [String] = []
}

/// Reads the tenant through Graph with the administrator's token, plans the changes and applies
/// them, riding out Entra ID's replication delays (re-read before re-posting; "already exists"
/// is done).
public struct RegistrationCreator: Sendable {
  public let transport: HTTPTransport
  public let graphBase: String
  public let token: AdminToken
  /// Longest total wait for replication, in seconds.
  public var patience: Double = 300

  public init(transport: HTTPTransport, graphBase: String, token: AdminToken) {
    self.transport = transport
    self.graphBase = graphBase + "/v1.0"
    self.token = token
  }

  struct Answer {
    var status: Int
    var json: JSONValue?
    var text: String
    var code: String { json?["error"]?["code"]?.string ?? "" }
    var message: String { json?["error"]?["message"]?.string ?? "" }
    var summary: String { code.isEmpty ? "HTTP \(status)" : "HTTP \(status) \(code): \(message)" }
  }

  func call(_ method: String, _ path: String, body: JSONValue? = nil) async throws -> Answer {
    var headers = [("Authorization", "Bearer \(token.accessToken)"), ("Accept", "application/json")]
    var data: Data?
    if let body {
      headers.append(("Content-Type", "application/json"))
      data = try JSONEncoder().encode(body)
    }
    let url = graphBase + "/" + path
    let response = try await transport.send(HTTPRequest(method: method, url: url, headers: headers, body: data))
    if let secret = response.json?["secretText"]?.string { Redactor.shared.register(secret) }
    return Answer(status: response.status, json: response.json, text: response.text)
  }

  static func quoted(_ value: String) -> String {
    value.replacingOccurrences(of: "'", with: "''").addingPercentEncoding(withAllowedCharacters: .alphanumerics)
      ?? value
  }

  /// What exists now.
  struct State: Sendable {
    var application: JSONValue?
    var servicePrincipal: JSONValue?
    /// BC role value → id, from BC's service principal.
    var bcRoles: [String: String]
    var bcServicePrincipalID: String
    /// Role ids already granted to the app's service principal on BC.
    var granted: Set<String>
    /// The admin center's authorized app ids, when `--admin` asked for them.
    var authorizedApps: Set<String>?
  }

  func read(_ request: CreationRequest) async throws -> State {
    let bc = try await call("GET", "servicePrincipals(appId='\(BusinessCentral.resourceAppID)')")
    guard bc.status == 200, let bcSP = bc.json, let bcID = bcSP["id"]?.string else {
      if bc.status == 404 {
        throw AdminFailure(
          "Dynamics 365 Business Central is not known in this tenant (no service principal for \(BusinessCentral.resourceAppID)); sign up for Business Central first"
        )
      }
      throw AdminFailure("could not read Business Central's service principal (\(bc.summary))")
    }
    var roles: [String: String] = [:]
    for role in bcSP["appRoles"]?.array ?? [] where role["isEnabled"] != .bool(false) {
      if let value = role["value"]?.string, let id = role["id"]?.string { roles[value] = id.lowercased() }
    }
    let filter =
      request.appID.map { "$filter=appId%20eq%20'\(Self.quoted($0))'" }
      ?? "$filter=displayName%20eq%20'\(Self.quoted(request.displayName))'"
    let list = try await call("GET", "applications?\(filter)")
    guard list.status == 200 else { throw AdminFailure("could not list applications (\(list.summary))") }
    let application = list.json?["value"]?.array?.first
    if application == nil, let appID = request.appID, !request.consentOnly {
      throw AdminFailure(
        "this tenant has no application object for \(appID) (a multitenant app lives in its home tenant: fix it there)")
    }
    var servicePrincipal: JSONValue?
    var granted = Set<String>()
    if let appID = application?["appId"]?.string ?? (request.consentOnly ? request.appID : nil) {
      let sp = try await call("GET", "servicePrincipals(appId='\(appID)')")
      if sp.status == 200 { servicePrincipal = sp.json }
      if let spID = servicePrincipal?["id"]?.string {
        let assignments = try await call("GET", "servicePrincipals/\(spID)/appRoleAssignments")
        for item in assignments.json?["value"]?.array ?? []
        where item["resourceId"]?.string?.lowercased() == bcID.lowercased() {
          if let id = item["appRoleId"]?.string { granted.insert(id.lowercased()) }
        }
      }
    }
    return State(
      application: application, servicePrincipal: servicePrincipal, bcRoles: roles, bcServicePrincipalID: bcID,
      granted: granted, authorizedApps: try await request.adminCenter?.authorizedApps())
  }

  func roleIDs(_ request: CreationRequest, _ state: State) throws -> [(value: String, id: String)] {
    try request.roles.map { value in
      guard let id = state.bcRoles[value] else {
        throw AdminFailure("Business Central's service principal has no application role '\(value)'")
      }
      return (value, id)
    }
  }

  public static func day(_ date: Date) -> String { RegistrationHealth.day(date) }

  /// The changes that would bring the tenant to `request`; empty when nothing differs.
  func plan(_ request: CreationRequest, _ state: State, now: Date = Date()) throws -> [PlannedChange] {
    let roles = try roleIDs(request, state)
    var changes: [PlannedChange] = []
    if request.consentOnly {
      if state.servicePrincipal == nil {
        changes.append(
          .init(
            action: "create", target: "service-principal",
            detail: "for \(request.appID ?? "?") in this tenant (the multitenant app stays in its home tenant)"))
      }
      for role in roles where !state.granted.contains(role.id) {
        changes.append(.init(action: "grant", target: "admin-consent", detail: role.value))
      }
      return changes + adminCenterChange(request.appID, state)
    }
    let app = state.application
    if app == nil {
      changes.append(
        .init(
          action: "create", target: "application",
          detail:
            "'\(request.displayName)', \(request.multiTenant ? "multitenant" : "single-tenant") (\(request.audience))"))
    } else if !request.keepAudience, app?["signInAudience"]?.string != request.audience {
      changes.append(
        .init(
          action: "update", target: "application",
          detail: "signInAudience \(app?["signInAudience"]?.string ?? "?") → \(request.audience)"))
    }
    let configured = Set(app.map(RegistrationHealth.configuredRoleIDs) ?? [])
    for role in roles where !configured.contains(role.id) {
      changes.append(
        .init(
          action: "add", target: "permission", detail: "\(role.value) (\(role.id)) of Dynamics 365 Business Central"))
    }
    if let uri = request.redirectURI {
      let registered = app?["web"]?["redirectUris"]?.strings ?? []
      if !registered.contains(where: { $0.caseInsensitiveCompare(uri) == .orderedSame }) {
        changes.append(.init(action: "add", target: "redirect-uri", detail: "\(uri) (Web)"))
      }
    }
    if state.servicePrincipal == nil {
      changes.append(.init(action: "create", target: "service-principal", detail: "for '\(request.displayName)'"))
    }
    for role in roles where !state.granted.contains(role.id) {
      changes.append(.init(action: "grant", target: "admin-consent", detail: role.value))
    }
    let validSecret = (app.map(RegistrationHealth.credentials) ?? []).contains {
      $0.kind == .secret && ($0.end.map { $0 > now } ?? true)
    }
    if let certificate = request.certificate, !Self.hasCertificate(certificate, in: app) {
      changes.append(
        .init(
          action: "upload", target: "certificate",
          detail:
            "\(certificate.subject), thumbprint \(certificate.thumbprintSHA1Hex), ends \(Self.day(certificate.notAfter))"
        ))
    }
    changes += adminCenterChange(app?["appId"]?.string, state)
    if request.newSecret || (request.certificate == nil && !validSecret) {
      let end = Calendar(identifier: .gregorian).date(byAdding: .month, value: request.secretMonths, to: now) ?? now
      changes.append(
        .init(
          action: "add", target: "client-secret",
          detail: "ends \(Self.day(end)) (\(request.secretMonths) month\(request.secretMonths == 1 ? "" : "s"))"))
    }
    return changes
  }

  /// Authorizing the app on the admin center's *Authorized Microsoft Entra apps* (`--admin`).
  func adminCenterChange(_ appID: String?, _ state: State) -> [PlannedChange] {
    guard let authorized = state.authorizedApps, !authorized.contains(appID?.lowercased() ?? "") else { return [] }
    return [
      .init(
        action: "authorize", target: "admin-center",
        detail: "\(appID ?? "the new application") on Authorized Microsoft Entra apps (Business Central admin center)")
    ]
  }

  static func hasCertificate(_ certificate: UploadCertificate, in application: JSONValue?) -> Bool {
    (application.map(RegistrationHealth.credentials) ?? []).contains {
      $0.kind == .certificate && $0.identifier.caseInsensitiveCompare(certificate.thumbprintSHA1Hex) == .orderedSame
    }
  }

  /// The application's key credentials with the certificate added (the collection is replaced
  /// as a whole; entries are sent as read, with their keyId).
  static func keyCredentials(_ application: JSONValue, adding certificate: UploadCertificate) -> JSONValue {
    var entries = (application["keyCredentials"]?.array ?? []).map { entry -> JSONValue in
      var kept: [String: JSONValue] = [:]
      for key in ["keyId", "type", "usage", "displayName", "key"] {
        if let value = entry[key], value != .null { kept[key] = value }
      }
      return .object(kept)
    }
    entries.append(
      .object([
        "type": .string("AsymmetricX509Cert"), "usage": .string("Verify"),
        "key": .string(Data(certificate.der).base64EncodedString()),
        "displayName": .string(certificate.subject),
      ]))
    return .array(entries)
  }

  public func plan(_ request: CreationRequest) async throws -> CreationPlan {
    CreationPlan(changes: try plan(request, try await read(request)))
  }

  /// Transient answers of a directory that has not replicated a new object yet.
  static func isReplicationDelay(_ answer: Answer) -> Bool {
    let text = answer.message.lowercased()
    return answer.status == 404 || text.contains("does not reference a valid application object")
      || text.contains("not a valid reference update") || text.contains("must in the local tenant")
      || text.contains("does not exist or one of its queried reference-property objects are not present")
  }

  /// Retries `body` with backoff while the directory is still replicating.
  func retrying(_ what: String, _ body: () async throws -> Answer, accept: (Answer) -> Bool) async throws -> Answer {
    let deadline = Date().addingTimeInterval(patience)
    var wait = 1.0
    while true {
      let answer = try await body()
      if accept(answer) { return answer }
      guard Self.isReplicationDelay(answer), Date().addingTimeInterval(wait) < deadline else {
        throw AdminFailure("\(what) failed (\(answer.summary))")
      }
      try? await Task.sleep(for: .seconds(wait))
      wait = min(wait * 2, 15)
    }
  }

  static func requiredResourceAccess(_ roleIDs: [String]) -> JSONValue {
    .array([
      .object([
        "resourceAppId": .string(BusinessCentral.resourceAppID),
        "resourceAccess": .array(roleIDs.map { .object(["id": .string($0), "type": .string("Role")]) }),
      ])
    ])
  }

  /// Applies the plan for `request`; returns the app id and, when one was added, the new secret.
  public func apply(_ request: CreationRequest, now: Date = Date()) async throws -> CreationResult {
    var state = try await read(request)
    let changes = try plan(request, state, now: now)
    let roles = try roleIDs(request, state)
    var redirects = state.application?["web"]?["redirectUris"]?.strings ?? []
    if let uri = request.redirectURI, !redirects.contains(where: { $0.caseInsensitiveCompare(uri) == .orderedSame }) {
      redirects.append(uri)
    }
    var configured = state.application.map(RegistrationHealth.configuredRoleIDs) ?? []
    for role in roles where !configured.contains(role.id) { configured.append(role.id) }

    // The application: created whole, or patched where it differs (collections are replaced,
    // so the current values are read first and extended). Left alone in a customer's tenant.
    var application: JSONValue
    if request.consentOnly, let appID = request.appID {
      application = .object(["appId": .string(appID)])
    } else if let existing = state.application {
      application = existing
      var patch: [String: JSONValue] = [:]
      if !request.keepAudience, existing["signInAudience"]?.string != request.audience {
        patch["signInAudience"] = .string(request.audience)
      }
      if Set(configured) != Set(RegistrationHealth.configuredRoleIDs(existing)) {
        patch["requiredResourceAccess"] = Self.requiredResourceAccess(configured)
      }
      if redirects != (existing["web"]?["redirectUris"]?.strings ?? []) {
        patch["web"] = .object(["redirectUris": .array(redirects.map { .string($0) })])
      }
      if !patch.isEmpty, let id = existing["id"]?.string {
        _ = try await retrying(
          "updating the application", { try await call("PATCH", "applications/\(id)", body: .object(patch)) }
        ) {
          $0.status == 204 || $0.status == 200
        }
      }
    } else {
      var body: [String: JSONValue] = [
        "displayName": .string(request.displayName), "signInAudience": .string(request.audience),
        "requiredResourceAccess": Self.requiredResourceAccess(configured),
      ]
      if !redirects.isEmpty { body["web"] = .object(["redirectUris": .array(redirects.map { .string($0) })]) }
      let created = try await call("POST", "applications", body: .object(body))
      guard created.status == 201, let json = created.json else {
        throw AdminFailure("creating the application failed (\(created.summary))")
      }
      application = json
    }
    guard let appID = application["appId"]?.string, let objectID = application["id"]?.string ?? request.appID else {
      throw AdminFailure("Graph returned an application without appId")
    }

    // The service principal: re-read before re-posting; "already in use" means it exists.
    if state.servicePrincipal == nil {
      let answer = try await retrying(
        "creating the service principal",
        {
          let existing = try await call("GET", "servicePrincipals(appId='\(appID)')")
          if existing.status == 200 { return existing }
          return try await call("POST", "servicePrincipals", body: .object(["appId": .string(appID)]))
        }
      ) { $0.status == 200 || $0.status == 201 || $0.status == 409 }
      if answer.status == 409 {
        state.servicePrincipal = try await retrying(
          "reading the service principal", { try await call("GET", "servicePrincipals(appId='\(appID)')") }
        ) { $0.status == 200 }.json
      } else {
        state.servicePrincipal = answer.json
      }
    }
    guard let principalID = state.servicePrincipal?["id"]?.string else {
      throw AdminFailure("Graph returned a service principal without id")
    }

    // Admin consent: one app role assignment per permission on BC's service principal.
    for role in roles where !state.granted.contains(role.id) {
      let body: JSONValue = .object([
        "principalId": .string(principalID), "resourceId": .string(state.bcServicePrincipalID),
        "appRoleId": .string(role.id),
      ])
      _ = try await retrying(
        "granting \(role.value)",
        { try await call("POST", "servicePrincipals/\(state.bcServicePrincipalID)/appRoleAssignedTo", body: body) }
      ) { $0.status == 201 || $0.message.lowercased().contains("already exists") }
    }

    // The admin center's authorized apps (delegated; no consent or permission sets come with it).
    if let center = request.adminCenter, changes.contains(where: { $0.target == "admin-center" }) {
      try await center.authorize(appID)
    }

    // The certificate, as a key credential (public part only).
    if let certificate = request.certificate, changes.contains(where: { $0.target == "certificate" }) {
      let current =
        try await retrying(
          "reading the application", { try await call("GET", "applications(appId='\(appID)')") }
        ) { $0.status == 200 }.json ?? application
      let patch: JSONValue = .object(["keyCredentials": Self.keyCredentials(current, adding: certificate)])
      _ = try await retrying(
        "uploading the certificate", { try await call("PATCH", "applications/\(objectID)", body: patch) }
      ) { $0.status == 204 || $0.status == 200 }
    }

    // The client secret, with an explicit end date.
    var secret: Secret?
    var ends: Date?
    var notes: [String] = []
    if changes.contains(where: { $0.target == "client-secret" }) {
      // A tenant's app management policy may cap the lifetime: shorten and try again.
      var months = request.secretMonths
      var answer: Answer
      while true {
        let end = Calendar(identifier: .gregorian).date(byAdding: .month, value: months, to: now) ?? now
        let body: JSONValue = .object([
          "passwordCredential": .object([
            "displayName": .string("s2s-doctor \(Self.day(now))"),
            "endDateTime": .string(ISO8601DateFormatter().string(from: end)),
          ])
        ])
        answer = try await retrying(
          "adding the client secret", { try await call("POST", "applications/\(objectID)/addPassword", body: body) }
        ) { $0.status == 200 || $0.status == 201 || $0.code == "CredentialInvalidLifetimeAsPerAppPolicy" }
        guard answer.code == "CredentialInvalidLifetimeAsPerAppPolicy" else { break }
        guard months > 1 else { throw AdminFailure("adding the client secret failed (\(answer.summary))") }
        let shorter = max(1, months / 2)
        notes.append(
          "the tenant's app management policy refused a \(months)-month secret; asked for \(shorter) month\(shorter == 1 ? "" : "s") instead"
        )
        months = shorter
      }
      guard let text = answer.json?["secretText"]?.string else {
        throw AdminFailure("Graph added a secret but returned no secretText")
      }
      secret = Secret(text)
      ends = answer.json?["endDateTime"]?.string.flatMap(RegistrationHealth.date)
    }
    return CreationResult(appID: appID, secret: secret, secretEnds: ends, applied: changes, notes: notes)
  }
}
