import Foundation
import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore

/// An access token Business Central accepted: signature, issuer, audience and app-only checked.
/// Times are checked on every use.
struct AcceptedToken: Sendable {
  let appID: String
  let tenantID: String
  let roles: Set<String>
  let notBefore: Int
  let expires: Int
}

/// Validates bearer tokens as Business Central does, with a cache so a token's RSA signature is
/// verified once however often it is presented.
final class TokenValidator: Sendable {
  private enum Verdict: Sendable {
    case accepted(AcceptedToken)
    case rejected
  }

  private let signing: RSACertificate
  private let directory: Directory
  private let cache = NIOLockedValueBox<[String: Verdict]>([:])
  private static let cacheLimit = 20_000

  init(signing: RSACertificate, directory: Directory) {
    self.signing = signing
    self.directory = directory
  }

  /// The accepted token, or `nil` for a token Business Central answers with 401.
  func accept(_ token: Substring, now: Int) -> AcceptedToken? {
    let key = String(token)
    let verdict: Verdict
    if let cached = cache.withLockedValue({ $0[key] }) {
      verdict = cached
    } else {
      verdict = validate(token).map(Verdict.accepted) ?? .rejected
      cache.withLockedValue { entries in
        if entries.count >= Self.cacheLimit { entries.removeAll(keepingCapacity: true) }
        entries[key] = verdict
      }
    }
    guard case .accepted(let accepted) = verdict,
      accepted.notBefore - Facts.allowedSkew <= now, now < accepted.expires + Facts.allowedSkew
    else { return nil }
    return accepted
  }

  private func validate(_ token: Substring) -> AcceptedToken? {
    guard let claims = verifiedClaims(token) else { return nil }
    guard let tenantID = claims["tid"] as? String, let tenant = directory.tenant(id: tenantID),
      StableID.isGUID(tenantID),
      claims["iss"] as? String == "https://sts.windows.net/\(tenant.id)/",
      JSONRead.strings(claims["aud"]).contains(where: Facts.bcAudiences.contains),
      claims["scp"] == nil, (claims["idtyp"] as? String ?? "app") == "app",
      let appID = claims["appid"] as? String,
      let notBefore = JSONRead.int(claims["nbf"]), let expires = JSONRead.int(claims["exp"])
    else { return nil }
    return AcceptedToken(
      appID: appID, tenantID: tenant.id,
      roles: Set(JSONRead.strings(claims["roles"])), notBefore: notBefore, expires: expires)
  }

  /// The tenant of a delegated (user) token for Business Central, as the admin center's
  /// `authorizedAadApps` endpoints require, or `nil`.
  func delegatedTenant(_ token: Substring, now: Int) -> String? {
    guard let claims = verifiedClaims(token), let tenantID = claims["tid"] as? String,
      let tenant = directory.tenant(id: tenantID),
      JSONRead.strings(claims["aud"]).contains(where: Facts.bcAudiences.contains),
      (claims["scp"] as? String)?.split(separator: " ").contains("user_impersonation") == true,
      let expires = JSONRead.int(claims["exp"]), now < expires + Facts.allowedSkew
    else { return nil }
    return tenant.id
  }

  /// The claims of a token this emulator signed (RS256 with its key), or `nil`.
  func verifiedClaims(_ token: Substring) -> [String: Any]? {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, !parts[2].isEmpty,
      let headerData = Base64URL.decode(parts[0]), let header = JSONRead.object(headerData),
      header["alg"] as? String == "RS256",
      (header["kid"] as? String ?? header["x5t"] as? String) == signing.sha1Thumbprint,
      let signature = Base64URL.decode(parts[2]),
      let payloadData = Base64URL.decode(parts[1]), let claims = JSONRead.object(payloadData)
    else { return nil }
    let signingInput = Data(token[..<parts[1].endIndex].utf8)
    guard
      signing.publicKey.isValidSignature(
        .init(rawRepresentation: signature), for: signingInput, padding: .insecurePKCS1v1_5)
    else { return nil }
    return claims
  }
}

/// The Business Central side: the data and automation APIs under `/v2.0/…` and the admin center
/// API under `/admin/…`.
struct BusinessCentralService: Sendable {
  let directory: Directory
  let validator: TokenValidator
  let secure: Bool
  /// Apps created at run time. Business Central's *Microsoft Entra Applications* page has no API,
  /// so the emulated environments of the setup tenants accept every app created there (as if
  /// the administrator had registered it in Business Central, Task 2).
  let store: GraphStore
  /// 64 KiB of JSON filler for the huge-body fault, built once.
  let filler: ByteBuffer

  /// The `value` arrays of the companies lists, by environment, serialised once.
  private let companiesJSON: [String: String]
  private let odataHeaders: HTTPFields
  private let jsonHeaders: HTTPFields

  init(directory: Directory, validator: TokenValidator, secure: Bool, store: GraphStore = GraphStore()) {
    self.directory = directory
    self.store = store
    self.validator = validator
    self.secure = secure
    self.filler = ByteBuffer(string: String(repeating: "0123456789abcdef", count: 4096))
    var companies: [String: String] = [:]
    for tenant in directory.tenants {
      for environment in tenant.environments {
        for route in [Route.companies, .automationCompanies] {
          companies[Self.key(tenant.id, environment.name, route)] = Self.companiesValue(
            environment.companies, route: route)
        }
      }
    }
    companies[Self.key("", "", .companies)] = "[]"
    self.companiesJSON = companies
    self.odataHeaders = Self.baseHeaders(odata: true, secure: secure)
    self.jsonHeaders = Self.baseHeaders(odata: false, secure: secure)
  }

  private static func key(_ tenant: String, _ environment: String, _ route: Route) -> String {
    "\(tenant)/\(environment.lowercased())/\(route == .automationCompanies ? "automation" : "api")"
  }

  private static func baseHeaders(odata: Bool, secure: Bool) -> HTTPFields {
    var fields = HTTPFields()
    fields[.contentType] =
      odata ? "application/json; odata.metadata=minimal; odata.streaming=true" : "application/json; charset=utf-8"
    if odata { fields[.odataVersion] = "4.0" }
    if secure { fields[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
    fields[.xContentTypeOptions] = "nosniff"
    return fields
  }

  private static func companiesValue(_ companies: [Company], route: Route) -> String {
    let created = TimeText.iso8601(1_700_000_000)
    return JSONText.array(
      companies.map { company in
        var members: [(String, JSONText)] = [
          ("id", .string(company.id)),
          ("systemVersion", .string(Facts.systemVersion)),
          ("timestamp", .int(route == .companies ? 12_345 : 12_346)),
          ("name", .string(company.name)),
          ("displayName", .string(company.displayName)),
        ]
        if route == .companies {
          members += [
            ("businessProfileId", .string("")),
            ("systemCreatedAt", .string(created)),
            ("systemCreatedBy", .string("00000000-0000-0000-0000-000000000001")),
            ("systemModifiedAt", .string(created)),
            ("systemModifiedBy", .string("00000000-0000-0000-0000-000000000001")),
          ]
        } else {
          members += [("evaluationCompany", .bool(false)), ("businessProfileId", .string(""))]
        }
        return .object(members)
      }
    ).serialized
  }

  private static let unauthorizedMessage = "The server has rejected the client credentials."

  // MARK: - Replies

  private func headers(json odata: Bool, correlationID: String) -> HTTPFields {
    var fields = odata ? odataHeaders : jsonHeaders
    fields[.msCorrelationX] = correlationID
    fields[.requestID] = correlationID
    return fields
  }

  /// `{"error":{"code":…,"message":…}}`. BC appends `  CorrelationId:  <guid>.` (two spaces
  /// twice) to its messages; the observed `BadRequest_NotFound` message has no suffix.
  private func error(
    _ status: Int, code: String, message: String, correlationID: String, withCorrelation: Bool = true,
    dateOffset: Int = 0
  ) -> Reply {
    let text = withCorrelation ? "\(message)  CorrelationId:  \(correlationID)." : message
    let body = JSONText.object([
      ("error", .object([("code", .string(code)), ("message", .string(text))]))
    ])
    var reply = Reply(
      status: status, headers: headers(json: false, correlationID: correlationID), body: body.serialized)
    reply.dateOffset = dateOffset
    return reply
  }

  private func unauthorized(_ correlationID: String, dateOffset: Int = 0) -> Reply {
    error(
      401, code: "Authentication_InvalidCredentials", message: Self.unauthorizedMessage,
      correlationID: correlationID, dateOffset: dateOffset)
  }

  private func noRoute(_ request: Incoming, correlationID: String, dateOffset: Int = 0) -> Reply {
    error(
      404, code: "BadRequest_NotFound",
      message: "No HTTP resource was found that matches the request URI '\(request.url)'.",
      correlationID: correlationID, withCorrelation: false, dateOffset: dateOffset)
  }

  // MARK: - Data and automation APIs

  private enum Route: Sendable {
    case companies
    case automationCompanies
    case serviceDocument
  }

  /// `/v2.0/{tenant?}/{environment}/api/…`; `segments` starts after `v2.0`.
  func api(segments: ArraySlice<Substring>, request: Incoming, now: Int) -> Reply {
    let correlationID = StableID.random()
    let tenantSegment: Substring?
    let environmentName: Substring
    let apiPath: ArraySlice<Substring>
    let start = segments.startIndex
    let roots: Set<Substring> = ["api", "ODataV4"]
    let root: Substring
    if segments.count >= 2, roots.contains(segments[start + 1]) {
      tenantSegment = nil
      environmentName = segments[start]
      root = segments[start + 1]
      apiPath = segments.dropFirst(2)
    } else if segments.count >= 3, roots.contains(segments[start + 2]) {
      tenantSegment = segments[start]
      environmentName = segments[start + 1]
      root = segments[start + 2]
      apiPath = segments.dropFirst(3)
    } else {
      return noRoute(request, correlationID: correlationID)
    }

    guard let bearer = request.bearerToken, let token = validator.accept(bearer, now: now),
      let tenant = directory.tenant(id: token.tenantID)
    else { return unauthorized(correlationID) }
    let client =
      directory.client(token.appID) ?? store.client(token.appID, presenting: nil, now: now, tenantID: token.tenantID)
    let offset = client?.dateOffset ?? 0
    if let tenantSegment {
      let named = tenantSegment.removingPercentEncoding ?? String(tenantSegment)
      guard directory.tenant(named)?.id == tenant.id else { return unauthorized(correlationID, dateOffset: offset) }
    }
    guard let client, client.tenantID == tenant.id, client.bc != .notRegistered else {
      return unauthorized(correlationID, dateOffset: offset)
    }

    let name = environmentName.removingPercentEncoding ?? String(environmentName)
    guard let environment = tenant.environment(named: name) else {
      // Unverified: no capture of BC's answer to an unknown environment exists.
      return error(
        404, code: "EnvironmentNotFound",
        message: "The environment '\(name)' was not found for tenant '\(tenant.id)'.",
        correlationID: correlationID, dateOffset: offset)
    }
    guard environment.accessible else {
      return error(
        400, code: "Internal_TenantUnavailable", message: "The tenant '\(tenant.id)' is not accessible.",
        correlationID: correlationID, dateOffset: offset)
    }

    // The partner API's own companies entity answers like the standard one.
    if root == "api", Array(apiPath) == Self.partnerAPI + ["companies"] {
      guard token.roles.contains(Facts.apiRole) else { return unauthorized(correlationID, dateOffset: offset) }
      var reply = behave(
        client.bc, route: .companies, tenantID: tenant.id, environment: environment, request: request,
        correlationID: correlationID)
      reply.dateOffset = offset
      return reply
    }
    if root == "ODataV4" || apiPath.first == Self.partnerAPI.first {
      guard token.roles.contains(Facts.apiRole) else { return unauthorized(correlationID, dateOffset: offset) }
      var reply = partnerData(
        root: root, path: apiPath, environment: environment, request: request, correlationID: correlationID)
      reply.dateOffset = offset
      return reply
    }
    let route: Route
    switch apiPath.joined(separator: "/") {
    case "v2.0/companies": route = .companies
    case "microsoft/automation/v2.0/companies": route = .automationCompanies
    case "v2.0", "v2.0/": route = .serviceDocument
    default: return noRoute(request, correlationID: correlationID, dateOffset: offset)
    }
    let requiredRole = route == .automationCompanies ? Facts.automationRole : Facts.apiRole
    guard token.roles.contains(requiredRole) else { return unauthorized(correlationID, dateOffset: offset) }

    var reply = behave(
      client.bc, route: route, tenantID: tenant.id, environment: environment, request: request,
      correlationID: correlationID)
    reply.dateOffset = offset
    return reply
  }

  private func behave(
    _ behaviour: BCBehaviour, route: Route, tenantID: String, environment: BCEnvironment, request: Incoming,
    correlationID: String
  ) -> Reply {
    switch behaviour {
    case .accept, .notRegistered:
      return success(
        route, tenantID: tenantID, environment: environment, request: request, correlationID: correlationID)
    case .noCompanies:
      return success(route, tenantID: tenantID, environment: nil, request: request, correlationID: correlationID)
    case .permissionMissing:
      let page = route == .automationCompanies ? "APIV2 - Aut. Companies" : "APIV2 - Companies"
      return error(
        400, code: "Internal_ServerError",
        message: "You do not have the following permissions on Page \(page): Execute.", correlationID: correlationID)
    case .automationPermissionMissing:
      guard route == .automationCompanies else {
        return success(
          route, tenantID: tenantID, environment: environment, request: request, correlationID: correlationID)
      }
      return error(
        400, code: "Internal_ServerError",
        message: "You do not have the following permissions on Page APIV2 - Aut. Companies: Execute.",
        correlationID: correlationID)
    case .throttled:
      var reply = error(
        429, code: "Application_TooManyRequests",
        message: "The request was throttled because too many requests were made. Please retry after a while.",
        correlationID: correlationID)
      reply.headers[.retryAfter] = "1"
      return reply
    case .unavailable:
      // No capture of BC's 503 body exists (the docs only promise `Retry-After`); an empty body
      // invents no error code.
      var fields = jsonHeaders
      fields[.msCorrelationX] = correlationID
      fields[.retryAfter] = "1"
      return Reply(status: 503, headers: fields, body: "")
    case .serverError:
      return error(
        500, code: "Internal_ServerError", message: "Cannot establish a connection to the SQL Server/Database.",
        correlationID: correlationID)
    case .badRequest:
      return error(
        400, code: "BadRequest", message: "Bad Request - Error in query syntax.", correlationID: correlationID)
    case .hugeBody:
      var reply = Reply(status: 200, headers: headers(json: true, correlationID: correlationID), body: ByteBuffer())
      reply.delivery = .repeated(chunk: filler, total: 50 * 1024 * 1024)
      return reply
    case .xmlUnauthorized:
      var fields = HTTPFields()
      fields[.contentType] = "application/xml"
      fields[.msCorrelationX] = correlationID
      return Reply(
        status: 401, headers: fields,
        body:
          #"<error xmlns="http://docs.oasis-open.org/odata/ns/metadata"><code>Unauthorized</code><message>The credentials provided are incorrect</message></error>"#
      )
    case .redirectLoop, .redirectOtherHost:
      var fields = HTTPFields()
      if behaviour == .redirectLoop {
        fields[.location] = request.url
      } else {
        let port = request.base.split(separator: ":").last.map(String.init) ?? ""
        let other = request.hostName == "localhost" ? "127.0.0.1" : "localhost"
        fields[.location] = "http://\(other):\(port)\(request.path)"
      }
      fields[.msCorrelationX] = correlationID
      return Reply(status: 302, headers: fields, body: "")
    }
  }

  /// The custom API a partner extension publishes in every emulated environment
  /// (`api/contoso/sales/v1.0/companies({id})/salesOrders`) and one published OData V4 web service
  /// (`ODataV4/Company('{name}')/Chart_of_Accounts`); any other page is not published.
  static let partnerAPI: [Substring] = ["contoso", "sales", "v1.0"]
  static let publishedWebService = "Chart_of_Accounts"

  private func partnerData(
    root: Substring, path: ArraySlice<Substring>, environment: BCEnvironment, request: Incoming, correlationID: String
  ) -> Reply {
    let parts = path.map { $0.removingPercentEncoding ?? String($0) }
    let company: (key: String, entity: String)?
    if root == "ODataV4", parts.count == 2, parts[0].hasPrefix("Company('"), parts[0].hasSuffix("')") {
      company = (String(parts[0].dropFirst("Company('".count).dropLast(2)), parts[1])
    } else if root == "api", parts.count == 5, Array(path.prefix(3)) == Self.partnerAPI,
      parts[3].hasPrefix("companies("), parts[3].hasSuffix(")")
    {
      company = (String(parts[3].dropFirst("companies(".count).dropLast()), parts[4])
    } else {
      company = nil
    }
    let published = root == "ODataV4" ? Self.publishedWebService : "salesOrders"
    guard let company, company.entity == published else { return noRoute(request, correlationID: correlationID) }
    guard let found = environment.companies.first(where: { $0.id == company.key || $0.name == company.key }) else {
      return error(
        400, code: "Internal_CompanyNotFound",
        message: "Cannot open the company '\(company.key)'. The company does not exist.", correlationID: correlationID)
    }
    let row: JSONText =
      root == "ODataV4"
      ? .object([("No", .string("1000")), ("Name", .string("BALANCE SHEET")), ("Account_Type", .string("Heading"))])
      : .object([("id", .string(StableID.guid(found.id + "/order/101001"))), ("number", .string("101001"))])
    let body = JSONText.object([
      ("@odata.context", .string(request.base + request.path + "/$metadata")), ("value", .array([row])),
    ]).serialized
    return Reply(status: 200, headers: headers(json: true, correlationID: correlationID), body: body)
  }

  private func success(
    _ route: Route, tenantID: String, environment: BCEnvironment?, request: Incoming, correlationID: String
  ) -> Reply {
    let body: String
    switch route {
    case .serviceDocument:
      let root = request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path
      body =
        JSONText.object([
          ("@odata.context", .string(request.base + root + "/$metadata")),
          (
            "value",
            .array([
              .object([("name", .string("companies")), ("kind", .string("EntitySet")), ("url", .string("companies"))])
            ])
          ),
        ]).serialized
    case .companies, .automationCompanies:
      let value =
        environment.flatMap { companiesJSON[Self.key(tenantID, $0.name, route)] }
        ?? companiesJSON[Self.key("", "", .companies)] ?? "[]"
      var text = #"{"@odata.context":"#
      JSONText.appendQuoted(
        request.base + request.path.dropLast("/companies".count) + "/$metadata#companies", to: &text)
      text += #","value":"# + value + "}"
      body = text
    }
    return Reply(status: 200, headers: headers(json: true, correlationID: correlationID), body: body)
  }

  // MARK: - Admin center API

  /// `GET /admin/{version}/applications/{family?}/environments`; `segments` starts after `admin`.
  func admin(segments: ArraySlice<Substring>, request: Incoming, now: Int) -> Reply {
    let correlationID = StableID.random()
    let parts = Array(segments)
    let family: Substring?
    if parts.count == 4, parts[1] == "applications", parts[3] == "environments" {
      family = parts[2]
    } else if parts.count == 3, parts[1] == "applications", parts[2] == "environments" {
      family = nil
    } else if parts.count >= 2, parts[1] == "authorizedAadApps" {
      return authorizedApps(parts, request: request, now: now, correlationID: correlationID)
    } else {
      return adminError(
        404, code: "Unknown", message: "No route matches '\(request.path)'.", correlationID: correlationID)
    }
    guard let bearer = request.bearerToken, let token = validator.accept(bearer, now: now),
      let tenant = directory.tenant(id: token.tenantID),
      let client = directory.client(token.appID)
        ?? store.client(token.appID, presenting: nil, now: now, tenantID: token.tenantID)
    else {
      return adminError(
        401, code: "Unauthorized", message: "The access token is not valid.", correlationID: correlationID)
    }
    // Unverified wording: no captured admin-center refusal of an app exists.
    guard token.roles.contains(Facts.adminRole) else {
      var reply = adminError(
        401, code: "Unauthorized",
        message: "The access token does not carry the \(Facts.adminRole) application permission.",
        correlationID: correlationID)
      reply.dateOffset = client.dateOffset
      return reply
    }
    guard client.adminAuthorized, client.tenantID == tenant.id else {
      var reply = adminError(
        403, code: "Forbidden",
        message:
          "The application '\(client.clientID)' is not authorized to use the administration center API for tenant '\(tenant.id)'.",
        correlationID: correlationID)
      reply.dateOffset = client.dateOffset
      return reply
    }
    if let family, family.lowercased() != "businesscentral" {
      return adminError(
        404, code: "applicationTypeDoesNotExist", message: "Application family '\(family)' does not exist.",
        correlationID: correlationID)
    }
    let environments: [JSONText] = tenant.environments.map { environment in
      .object([
        ("friendlyName", .string(environment.name)),
        ("type", .string(environment.type)),
        ("name", .string(environment.name)),
        ("countryCode", .string("US")),
        ("applicationFamily", .string("BusinessCentral")),
        ("aadTenantId", .string(tenant.id)),
        ("applicationVersion", .string(Facts.systemVersion)),
        ("status", .string(environment.status)),
        ("webClientLoginUrl", .string("https://businesscentral.dynamics.com/\(tenant.id)/\(environment.name)")),
        ("webServiceUrl", .string("\(request.base)/v2.0/\(tenant.id)/\(environment.name)")),
        ("locationName", .string("United States")),
        ("geoName", .string("United States")),
        ("ringName", .string("PROD")),
        ("platformVersion", .string(Facts.systemVersion)),
      ])
    }
    var reply = Reply(
      status: 200, headers: headers(json: false, correlationID: correlationID),
      body: JSONText.object([("value", .array(environments))]).serialized)
    reply.dateOffset = client.dateOffset
    return reply
  }

  /// The admin center's error object: `{"code","message"}` (no `error` wrapper).
  /// `GET /admin/{v}/authorizedAadApps` (a bare array) and `PUT …/authorizedAadApps/{appId}`:
  /// the admin center's *Authorized Microsoft Entra apps*, for a signed-in administrator only.
  private func authorizedApps(_ parts: [Substring], request: Incoming, now: Int, correlationID: String) -> Reply {
    guard let bearer = request.bearerToken else {
      return adminError(
        401, code: "Unauthorized", message: "The access token is not valid.", correlationID: correlationID)
    }
    guard let tenantID = validator.delegatedTenant(bearer, now: now) else {
      return adminError(
        401, code: "Unauthorized",
        message: validator.accept(bearer, now: now) != nil
          ? "This endpoint can't be used when authenticated as an app." : "The access token is not valid.",
        correlationID: correlationID)
    }
    func entry(_ appID: String) -> JSONText {
      let consented =
        store.client(appID, presenting: nil, now: now, tenantID: tenantID)?.token.roles?.contains(
          Facts.adminRole) == true
      return .object([("appId", .string(appID)), ("isAdminConsentGranted", .bool(consented))])
    }
    switch (parts.count, request.method) {
    case (2, .get):
      let apps = store.withState { $0.authorizedApps[tenantID.lowercased()] ?? [] }.sorted()
      return Reply(
        status: 200, headers: headers(json: false, correlationID: correlationID),
        body: JSONText.array(apps.map(entry)).serialized)
    case (3, .put):
      let appID = String(parts[2]).lowercased()
      guard StableID.isGUID(appID) else {
        return adminError(
          400, code: "InvalidInput", message: "'\(parts[2])' is not a valid application id.",
          correlationID: correlationID)
      }
      store.withState { $0.authorizedApps[tenantID.lowercased(), default: []].insert(appID) }
      return Reply(
        status: 200, headers: headers(json: false, correlationID: correlationID), body: entry(appID).serialized)
    default:
      return adminError(
        404, code: "Unknown", message: "No route matches '\(request.path)'.", correlationID: correlationID)
    }
  }

  private func adminError(_ status: Int, code: String, message: String, correlationID: String) -> Reply {
    let body = JSONText.object([("code", .string(code)), ("message", .string(message))])
    return Reply(status: status, headers: headers(json: false, correlationID: correlationID), body: body.serialized)
  }
}
