import Foundation

/// The application object and service principal of a registration, in Graph v1.0's shape.
enum GraphObjects {
  static func applicationObjectID(_ registration: ClientRegistration) -> String {
    StableID.guid("application/" + registration.clientID.lowercased())
  }

  private static func date(_ now: Int, days: Int) -> JSONText {
    .string(TimeText.iso8601(now + days * 86_400))
  }

  static func passwordCredentials(_ registration: ClientRegistration, now: Int) -> [JSONText] {
    let graph = registration.graph
    var list: [JSONText] = []
    if let secret = registration.secret {
      let days = registration.secretExpired ? min(graph.secretDaysLeft, -3) : graph.secretDaysLeft
      list.append(
        password(
          name: "s2s-doctor", hint: String(secret.prefix(3)), keySeed: registration.clientID + "/in-use",
          start: now - 200 * 86_400, end: days, now: now))
    }
    for (index, other) in graph.otherSecrets.enumerated() {
      list.append(
        password(
          name: other.displayName,
          hint: String(StableID.alphanumeric("hint/\(registration.clientID)/\(index)", count: 3)),
          keySeed: registration.clientID + "/other/\(index)", start: now - 30 * 86_400, end: other.daysLeft, now: now))
    }
    return list
  }

  private static func password(name: String, hint: String, keySeed: String, start: Int, end days: Int, now: Int)
    -> JSONText
  {
    .object([
      ("customKeyIdentifier", .null),
      ("displayName", .string(name)),
      ("endDateTime", date(now, days: days)),
      ("hint", .string(hint)),
      ("keyId", .string(StableID.guid("key/" + keySeed))),
      ("secretText", .null),
      ("startDateTime", .string(TimeText.iso8601(start))),
    ])
  }

  static func keyCredentials(_ registration: ClientRegistration, now: Int) -> [JSONText] {
    registration.certificates.map { certificate in
      .object([
        ("customKeyIdentifier", .string(certificate.sha1Digest.base64EncodedString())),
        ("displayName", .string("CN=S2S Doctor client")),
        ("endDateTime", date(now, days: registration.graph.certificateDaysLeft)),
        ("key", .null),
        ("keyId", .string(StableID.guid("cert/" + certificate.sha1Thumbprint))),
        ("startDateTime", .string(TimeText.iso8601(now - 60 * 86_400))),
        ("type", .string("AsymmetricX509Cert")),
        ("usage", .string("Verify")),
      ])
    }
  }

  static func requiredResourceAccess(_ registration: ClientRegistration) -> [JSONText] {
    let roles = registration.graph.configuredRoles ?? registration.token.roles ?? []
    let access: [JSONText] = roles.compactMap { value in
      Facts.bcRoleID(value).map { .object([("id", .string($0)), ("type", .string("Role"))]) }
    }
    guard !access.isEmpty else { return [] }
    return [
      .object([("resourceAppId", .string(Facts.bcResourceAppID)), ("resourceAccess", .array(access))])
    ]
  }

  static func application(_ registration: ClientRegistration, directory: Directory, now: Int) -> [(String, JSONText)] {
    let graph = registration.graph
    let domain = directory.tenant(id: registration.tenantID)?.domain ?? "contoso.onmicrosoft.com"
    return [
      ("id", .string(applicationObjectID(registration))),
      ("deletedDateTime", .null),
      ("appId", .string(registration.clientID)),
      ("createdDateTime", .string(TimeText.iso8601(now - 400 * 86_400))),
      ("displayName", .string(registration.displayName)),
      ("identifierUris", .array([])),
      ("publisherDomain", .string(domain)),
      ("signInAudience", .string(graph.signInAudience)),
      ("tags", .array([])),
      ("keyCredentials", .array(keyCredentials(registration, now: now))),
      ("passwordCredentials", .array(passwordCredentials(registration, now: now))),
      ("publicClient", .object([("redirectUris", .array([]))])),
      ("requiredResourceAccess", .array(requiredResourceAccess(registration))),
      (
        "web",
        .object([
          ("homePageUrl", .null),
          ("logoutUrl", .null),
          ("redirectUris", .array(graph.redirectURIs.map { .string($0) })),
          (
            "implicitGrantSettings",
            .object([("enableAccessTokenIssuance", .bool(false)), ("enableIdTokenIssuance", .bool(false))])
          ),
        ])
      ),
    ]
  }

  static func servicePrincipal(_ registration: ClientRegistration, now: Int) -> [(String, JSONText)] {
    [
      ("id", .string(registration.objectID)),
      ("deletedDateTime", .null),
      ("accountEnabled", .bool(registration.graph.accountEnabled)),
      ("appDisplayName", .string(registration.displayName)),
      ("appId", .string(registration.clientID)),
      ("appOwnerOrganizationId", .string(registration.tenantID)),
      ("appRoleAssignmentRequired", .bool(false)),
      ("displayName", .string(registration.displayName)),
      ("servicePrincipalNames", .array([.string(registration.clientID)])),
      ("servicePrincipalType", .string("Application")),
      ("signInAudience", .string(registration.graph.signInAudience)),
      ("tags", .array([.string("WindowsAzureActiveDirectoryIntegratedApp")])),
      ("appRoles", .array([])),
      ("keyCredentials", .array([])),
      ("passwordCredentials", .array([])),
    ]
  }
}

/// Objects created at run time, in the same shapes.
extension GraphObjects {
  static func keyCredential(_ key: GraphStore.Key) -> JSONText {
    .object([
      ("customKeyIdentifier", .string(key.certificate.sha1Digest.base64EncodedString())),
      ("displayName", .string(key.displayName)),
      ("endDateTime", .string(TimeText.iso8601(key.end))),
      ("key", .null),
      ("keyId", .string(key.keyID)),
      ("startDateTime", .string(TimeText.iso8601(key.start))),
      ("type", .string("AsymmetricX509Cert")),
      ("usage", .string("Verify")),
    ])
  }

  static func application(_ app: GraphStore.Application, now: Int) -> [(String, JSONText)] {
    let access: [JSONText] = app.roleIDs.map { .object([("id", .string($0)), ("type", .string("Role"))]) }
    let passwords: [JSONText] = app.passwords.map { password in
      .object([
        ("customKeyIdentifier", .null),
        ("displayName", .string(password.displayName)),
        ("endDateTime", .string(TimeText.iso8601(password.end))),
        ("hint", .string(String(password.secret.prefix(3)))),
        ("keyId", .string(password.keyID)),
        ("secretText", .null),
        ("startDateTime", .string(TimeText.iso8601(password.start))),
      ])
    }
    return [
      ("id", .string(app.objectID)),
      ("deletedDateTime", .null),
      ("appId", .string(app.appID)),
      ("createdDateTime", .string(TimeText.iso8601(app.createdAt))),
      ("displayName", .string(app.displayName)),
      ("identifierUris", .array([])),
      ("signInAudience", .string(app.signInAudience)),
      ("tags", .array([])),
      ("keyCredentials", .array(app.keys.map(keyCredential))),
      ("passwordCredentials", .array(passwords)),
      ("publicClient", .object([("redirectUris", .array([]))])),
      (
        "requiredResourceAccess",
        .array(
          access.isEmpty
            ? []
            : [.object([("resourceAppId", .string(Facts.bcResourceAppID)), ("resourceAccess", .array(access))])])
      ),
      (
        "web",
        .object([
          ("homePageUrl", .null), ("logoutUrl", .null), ("redirectUris", .array(app.redirectURIs.map { .string($0) })),
        ])
      ),
    ]
  }

  static func servicePrincipal(_ sp: GraphStore.ServicePrincipal, displayName: String) -> [(String, JSONText)] {
    [
      ("id", .string(sp.objectID)),
      ("accountEnabled", .bool(sp.accountEnabled)),
      ("appDisplayName", .string(displayName)),
      ("appId", .string(sp.appID)),
      ("appOwnerOrganizationId", .string(sp.tenantID)),
      ("displayName", .string(displayName)),
      ("servicePrincipalNames", .array([.string(sp.appID)])),
      ("servicePrincipalType", .string("Application")),
      ("tags", .array([.string("WindowsAzureActiveDirectoryIntegratedApp")])),
      ("appRoles", .array([])),
    ]
  }

  /// Business Central's service principal in a tenant, with its application roles.
  static func bcServicePrincipal(tenantID: String) -> [(String, JSONText)] {
    let roles: [JSONText] = Facts.bcAppRoles.map { role in
      .object([
        ("allowedMemberTypes", .array([.string("Application")])),
        ("description", .string("Business Central application permission \(role.value).")),
        ("displayName", .string(role.value)),
        ("id", .string(role.id)),
        ("isEnabled", .bool(true)),
        ("origin", .string("Application")),
        ("value", .string(role.value)),
      ])
    }
    return [
      ("id", .string(GraphStore.bcServicePrincipalID(tenantID))),
      ("accountEnabled", .bool(true)),
      ("appDisplayName", .string("Dynamics 365 Business Central")),
      ("appId", .string(Facts.bcResourceAppID)),
      ("appOwnerOrganizationId", .string("f8cdef31-a31e-4b4a-93e4-5f571e91255a")),
      ("displayName", .string("Dynamics 365 Business Central")),
      ("servicePrincipalNames", .array([.string(Facts.bcResource), .string(Facts.bcResourceAppID)])),
      ("servicePrincipalType", .string("Application")),
      ("appRoles", .array(roles)),
    ]
  }

  static func assignment(_ assignment: GraphStore.Assignment, principalName: String) -> [(String, JSONText)] {
    [
      ("id", .string(assignment.id)),
      ("deletedDateTime", .null),
      ("appRoleId", .string(assignment.appRoleID)),
      ("createdDateTime", .string(TimeText.iso8601(assignment.createdAt))),
      ("principalDisplayName", .string(principalName)),
      ("principalId", .string(assignment.principalID)),
      ("principalType", .string("ServicePrincipal")),
      ("resourceDisplayName", .string("Dynamics 365 Business Central")),
      ("resourceId", .string(assignment.resourceID)),
    ]
  }
}
