import Foundation
import HTTPTypes
import NIOCore

/// What an administrator's delegated Graph token may do in its own tenant: create and update
/// applications, add client secrets, create service principals and grant app roles (admin
/// consent), with the replication delays Entra ID shows right after a create.
extension GraphService {
  static let writeScope = "Application.ReadWrite.All"
  static let assignScope = "AppRoleAssignment.ReadWrite.All"
  static let readScopes: Set<String> = [
    "Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All",
  ]

  private func body(_ request: Incoming) -> [String: Any]? {
    guard let buffer = request.body else { return nil }
    return JSONRead.object(Data(buffer.readableBytesView))
  }

  private func badRequest(_ message: String, code: String = "Request_BadRequest", request: Incoming, now: Int) -> Reply
  {
    error(400, code: code, message: message, request: request, now: now)
  }

  private func entity(_ members: [(String, JSONText)], _ path: String, status: Int = 200, request: Incoming) -> Reply {
    let context = "\(request.base)/v1.0/$metadata#\(path)"
    return Reply(
      status: status, headers: headersFor(request),
      body: JSONText.object([("@odata.context", .string(context))] + members).serialized)
  }

  private func headersFor(_ request: Incoming) -> HTTPFields {
    headers(requestID: StableID.random(), clientRequestID: request.clientRequestID)
  }

  private func noContent(_ request: Incoming) -> Reply {
    var reply = Reply(status: 204, headers: headersFor(request), body: "")
    reply.headers[.contentType] = nil
    return reply
  }

  func administer(segments: ArraySlice<Substring>, caller: Caller, request: Incoming, now: Int) -> Reply {
    let tenant = caller.tenantID
    let parts = segments.map { String($0).removingPercentEncoding ?? String($0) }
    let method = request.method
    let canRead = !caller.scopes.isDisjoint(with: Self.readScopes)
    let canWrite = caller.scopes.contains(Self.writeScope)
    let canAssign = caller.scopes.contains(Self.assignScope)
    guard let first = parts.first else { return denied(request, now: now) }

    // applications
    if first == "applications", parts.count == 1 {
      if method == .get {
        guard canRead else { return denied(request, now: now) }
        let filter = request.queryItem("$filter") ?? ""
        let apps = store.withState { Array($0.applications.values) }.filter {
          $0.tenantID == tenant && store.visible(createdAt: $0.createdAt, tenantID: tenant, now: now)
        }
        let matching: [GraphStore.Application]
        if let appID = Self.appIDFilter(filter) {
          matching = apps.filter { $0.appID.lowercased() == appID.lowercased() }
        } else if let name = Self.displayNameFilter(filter) {
          matching = apps.filter { $0.displayName == name }
        } else {
          matching = apps
        }
        let items: [JSONText] = matching.sorted { $0.createdAt < $1.createdAt }.map {
          .object(GraphObjects.application($0, now: now))
        }
        return entity([("value", .array(items))], "applications", request: request)
      }
      guard method == .post else { return denied(request, now: now) }
      guard canWrite else { return denied(request, now: now) }
      guard let json = body(request), let name = json["displayName"] as? String, !name.isEmpty else {
        return badRequest("Property 'displayName' is required.", request: request, now: now)
      }
      let appID = StableID.random()
      var app = GraphStore.Application(
        objectID: StableID.random(), appID: appID, tenantID: tenant, displayName: name,
        signInAudience: json["signInAudience"] as? String ?? "AzureADandPersonalMicrosoftAccount",
        roleIDs: Self.bcRoleIDs(json["requiredResourceAccess"]),
        redirectURIs: ((json["web"] as? [String: Any])?["redirectUris"] as? [String]) ?? [], createdAt: now)
      if let error = validateRoles(app.roleIDs, request: request, now: now) { return error }
      app.passwords = []
      store.withState { $0.applications[appID.lowercased()] = app }
      return entity(GraphObjects.application(app, now: now), "applications/$entity", status: 201, request: request)
    }
    if first.hasPrefix("applications("), parts.count == 1 {
      guard method == .get, canRead else { return denied(request, now: now) }
      let inner = first.dropFirst("applications(".count).dropLast()
      guard let appID = Self.alternateKey(Substring(inner)) else {
        return badRequest("Invalid object identifier '\(inner)'.", request: request, now: now)
      }
      guard let app = visibleApplication(appID: appID, tenant: tenant, now: now) else {
        return notFound(appID, request: request, now: now)
      }
      return entity(GraphObjects.application(app, now: now), "applications/$entity", request: request)
    }
    if first == "applications", parts.count >= 2 {
      let objectID = parts[1]
      guard canWrite else { return denied(request, now: now) }
      guard var app = visibleApplication(objectID: objectID, tenant: tenant, now: now) else {
        return notFound(objectID, request: request, now: now)
      }
      if parts.count == 2, method == .patch {
        guard let json = body(request) else {
          return badRequest("The request body is not valid JSON.", request: request, now: now)
        }
        if let audience = json["signInAudience"] as? String { app.signInAudience = audience }
        if json["requiredResourceAccess"] != nil {
          app.roleIDs = Self.bcRoleIDs(json["requiredResourceAccess"])
          if let error = validateRoles(app.roleIDs, request: request, now: now) { return error }
        }
        if let web = json["web"] as? [String: Any], let uris = web["redirectUris"] as? [String] {
          app.redirectURIs = uris
        }
        if let credentials = json["keyCredentials"] as? [[String: Any]] {
          // The whole collection is replaced; an entry without `key` keeps the one with its keyId.
          var keys: [GraphStore.Key] = []
          for credential in credentials {
            if credential["key"] == nil, let id = credential["keyId"] as? String,
              let kept = app.keys.first(where: { $0.keyID == id })
            {
              keys.append(kept)
              continue
            }
            guard credential["type"] as? String == "AsymmetricX509Cert",
              credential["usage"] as? String == "Verify",
              let der = (credential["key"] as? String).flatMap({ Data(base64Encoded: $0) }),
              let certificate = VerifyingCertificate(der: Array(der))
            else {
              return badRequest(
                "Invalid value specified for property 'key' of resource 'KeyCredential'.", request: request, now: now)
            }
            let end = min(
              certificate.notAfter ?? now + 365 * 86_400,
              (credential["endDateTime"] as? String).flatMap(Self.seconds) ?? .max)
            keys.append(
              GraphStore.Key(
                keyID: credential["keyId"] as? String ?? StableID.random(),
                displayName: credential["displayName"] as? String ?? "", certificate: certificate,
                start: (credential["startDateTime"] as? String).flatMap(Self.seconds) ?? now, end: end))
          }
          app.keys = keys
        }
        if json["passwordCredentials"] != nil {
          return badRequest(
            "Using PATCH to set passwordCredential is not supported. Use the addPassword method.", request: request,
            now: now)
        }
        let updated = app
        store.withState { $0.applications[updated.appID.lowercased()] = updated }
        return noContent(request)
      }
      if parts.count == 3, parts[2] == "addPassword", method == .post {
        let credential = (body(request)?["passwordCredential"] as? [String: Any]) ?? [:]
        let end =
          (credential["endDateTime"] as? String).flatMap(Self.seconds) ?? (now + 2 * 365 * 86_400)
        guard end > now else {
          return badRequest("Credential end date must be in the future.", request: request, now: now)
        }
        if let days = store.maxSecretDays[tenant.lowercased()], end > now + days * 86_400 + 86_400 {
          return badRequest(
            "Credential lifetime exceeds the max value allowed as per assigned policy '\(StableID.guid("policy/" + tenant))'.",
            code: "CredentialInvalidLifetimeAsPerAppPolicy", request: request, now: now)
        }
        let secret = Self.newSecret()
        store.ledger?.record(.secret, secret)
        let password = GraphStore.Password(
          keyID: StableID.random(), displayName: credential["displayName"] as? String ?? "", secret: secret,
          start: now, end: end)
        app.passwords.append(password)
        let updated = app
        store.withState { $0.applications[updated.appID.lowercased()] = updated }
        let members: [(String, JSONText)] = [
          ("customKeyIdentifier", .null),
          ("displayName", .string(password.displayName)),
          ("endDateTime", .string(TimeText.iso8601(end))),
          ("hint", .string(String(secret.prefix(3)))),
          ("keyId", .string(password.keyID)),
          ("secretText", .string(secret)),
          ("startDateTime", .string(TimeText.iso8601(now))),
        ]
        return entity(members, "microsoft.graph.passwordCredential", request: request)
      }
      return denied(request, now: now)
    }

    // servicePrincipals
    if first.hasPrefix("servicePrincipals(") || first.hasPrefix("serviceprincipals("), parts.count == 1 {
      guard method == .get, canRead else { return denied(request, now: now) }
      let inner = first.drop { $0 != "(" }.dropFirst().dropLast()
      guard let appID = Self.alternateKey(Substring(inner)) else {
        return badRequest("Invalid object identifier '\(inner)'.", request: request, now: now)
      }
      if appID.lowercased() == Facts.bcResourceAppID {
        return entity(
          GraphObjects.bcServicePrincipal(tenantID: tenant), "servicePrincipals/$entity", request: request)
      }
      guard let sp = visibleServicePrincipal(appID: appID, tenant: tenant, now: now) else {
        return notFound(appID, request: request, now: now)
      }
      let name = store.withState { $0.applications[sp.appID.lowercased()]?.displayName } ?? ""
      return entity(GraphObjects.servicePrincipal(sp, displayName: name), "servicePrincipals/$entity", request: request)
    }
    if first.lowercased() == "serviceprincipals", parts.count == 1, method == .post {
      guard canWrite else { return denied(request, now: now) }
      guard let appID = body(request)?["appId"] as? String else {
        return badRequest("Property 'appId' is required.", request: request, now: now)
      }
      // The app of this tenant, or a multitenant app of another (its service principal here is
      // what consent in a customer's tenant creates).
      guard
        let app = visibleApplication(appID: appID, tenant: tenant, now: now) ?? multitenantApplication(appID, now: now)
      else {
        return error(
          400, code: "Request_BadRequest",
          message: "The appId '\(appID)' of the service principal does not reference a valid application object.",
          request: request, now: now)
      }
      if store.withState({ $0.servicePrincipals[GraphStore.spKey(appID, tenant: tenant)] }) != nil {
        return error(
          409, code: "Request_MultipleObjectsWithSameKeyValue",
          message:
            "The service principal cannot be created, updated, or restored because the service principal name \(appID) is already in use.",
          request: request, now: now)
      }
      let sp = GraphStore.ServicePrincipal(
        objectID: StableID.random(), appID: app.appID, tenantID: tenant, createdAt: now)
      store.withState { $0.servicePrincipals[GraphStore.spKey(appID, tenant: tenant)] = sp }
      return entity(
        GraphObjects.servicePrincipal(sp, displayName: app.displayName), "servicePrincipals/$entity", status: 201,
        request: request)
    }
    if first.lowercased() == "serviceprincipals", parts.count == 3 {
      let objectID = parts[1].lowercased()
      switch (parts[2], method) {
      case ("appRoleAssignedTo", .post):
        guard canAssign, canRead || canWrite else { return denied(request, now: now) }
        guard objectID == GraphStore.bcServicePrincipalID(tenant).lowercased() else {
          return notFound(parts[1], request: request, now: now)
        }
        return assign(body(request) ?? [:], resourceID: objectID, tenant: tenant, request: request, now: now)
      case ("appRoleAssignments", .get):
        guard canRead else { return denied(request, now: now) }
        let items: [JSONText] = store.withState { state in
          state.assignments.filter {
            $0.principalID.lowercased() == objectID
              && store.visible(createdAt: $0.createdAt, tenantID: tenant, now: now)
          }
        }.map { .object(GraphObjects.assignment($0, principalName: "")) }
        return entity([("value", .array(items))], "appRoleAssignments", request: request)
      default:
        return denied(request, now: now)
      }
    }
    return error(
      400, code: "BadRequest", message: "Resource not found for the segment '\(first)'.", request: request, now: now)
  }

  private func assign(_ json: [String: Any], resourceID: String, tenant: String, request: Incoming, now: Int) -> Reply {
    guard let principalID = (json["principalId"] as? String)?.lowercased(),
      let roleID = (json["appRoleId"] as? String)?.lowercased()
    else {
      return badRequest("Properties 'principalId' and 'appRoleId' are required.", request: request, now: now)
    }
    guard Facts.bcAppRoles.contains(where: { $0.id == roleID }) else {
      return badRequest("Permission being assigned was not found on application.", request: request, now: now)
    }
    let principal = store.withState { state in
      state.servicePrincipals.values.first { $0.objectID.lowercased() == principalID && $0.tenantID == tenant }
    }
    guard let principal, store.visible(createdAt: principal.createdAt, tenantID: tenant, now: now) else {
      // A principal created moments ago has not replicated to the directory partition yet.
      return badRequest("Not a valid reference update.", code: "Request_BadRequest", request: request, now: now)
    }
    let existing = store.withState { state in
      state.assignments.contains { $0.principalID.lowercased() == principalID && $0.appRoleID == roleID }
    }
    if existing {
      return badRequest("Permission being assigned already exists on the object", request: request, now: now)
    }
    let assignment = GraphStore.Assignment(
      id: StableID.opaque(count: 43), principalID: principal.objectID, resourceID: resourceID, appRoleID: roleID,
      createdAt: now)
    store.withState { $0.assignments.append(assignment) }
    let name = store.withState { $0.applications[principal.appID.lowercased()]?.displayName } ?? ""
    return entity(
      GraphObjects.assignment(assignment, principalName: name),
      "servicePrincipals('\(resourceID)')/appRoleAssignedTo/$entity", status: 201, request: request)
  }

  private func validateRoles(_ ids: [String], request: Incoming, now: Int) -> Reply? {
    for id in ids where !Facts.bcAppRoles.contains(where: { $0.id == id }) {
      return badRequest(
        "Invalid value specified for property 'resourceAccess' of resource 'Application'.",
        request: request, now: now)
    }
    return nil
  }

  func visibleApplication(appID: String? = nil, objectID: String? = nil, tenant: String, now: Int)
    -> GraphStore.Application?
  {
    store.withState { state in
      state.applications.values.first { app in
        app.tenantID == tenant && (appID.map { app.appID.lowercased() == $0.lowercased() } ?? true)
          && (objectID.map { app.objectID.lowercased() == $0.lowercased() } ?? true)
      }
    }.flatMap { store.visible(createdAt: $0.createdAt, tenantID: tenant, now: now) ? $0 : nil }
  }

  /// A multitenant application of any tenant, once replicated in its home tenant.
  func multitenantApplication(_ appID: String, now: Int) -> GraphStore.Application? {
    store.withState { $0.applications[appID.lowercased()] }.flatMap {
      $0.signInAudience != "AzureADMyOrg" && store.visible(createdAt: $0.createdAt, tenantID: $0.tenantID, now: now)
        ? $0 : nil
    }
  }

  func visibleServicePrincipal(appID: String, tenant: String, now: Int) -> GraphStore.ServicePrincipal? {
    store.withState { $0.servicePrincipals[GraphStore.spKey(appID, tenant: tenant)] }.flatMap {
      $0.tenantID == tenant && store.visible(createdAt: $0.createdAt, tenantID: tenant, now: now) ? $0 : nil
    }
  }

  /// The Business Central role ids of a `requiredResourceAccess` value.
  static func bcRoleIDs(_ value: Any?) -> [String] {
    guard let resources = value as? [[String: Any]] else { return [] }
    return resources.filter { ($0["resourceAppId"] as? String)?.lowercased() == Facts.bcResourceAppID }
      .flatMap { ($0["resourceAccess"] as? [[String: Any]]) ?? [] }
      .filter { $0["type"] as? String == "Role" }
      .compactMap { ($0["id"] as? String)?.lowercased() }
  }

  /// `displayName eq '…'` → the quoted value.
  static func displayNameFilter(_ text: String) -> String? {
    let prefix = "displayName eq '"
    guard text.hasPrefix(prefix), text.hasSuffix("'"), text.count > prefix.count else { return nil }
    return String(text.dropFirst(prefix.count).dropLast()).replacingOccurrences(of: "''", with: "'")
  }

  static func seconds(_ iso: String) -> Int? {
    var core = Substring(iso)
    if let dot = core.firstIndex(of: ".") { core = core[..<dot] }
    if core.hasSuffix("Z") { core = core.dropLast() }
    let formatter = ISO8601DateFormatter()
    return formatter.date(from: String(core) + "Z").map { Int($0.timeIntervalSince1970) }
  }

  /// A 40-character secret in Entra's style (three characters, `8Q~`, then 34 more).
  static func newSecret() -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-")
    func pick(_ count: Int) -> String { String((0..<count).map { _ in alphabet.randomElement()! }) }
    return pick(3) + "8Q~" + pick(34)
  }
}
