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
