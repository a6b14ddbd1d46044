import Foundation
import HTTPTypes
import NIOCore

/// The part of Microsoft Graph v1.0 an app needs to read its own registration:
/// `GET /v1.0/applications(appId='…')`, `GET /v1.0/servicePrincipals(appId='…')` and the
/// `?$filter=appId eq '…'` collection forms, with Graph's error envelope.
///
/// An app-only token without Graph permissions may read its own application object and service
/// principal and nothing else, as on the real service.
struct GraphService: Sendable {
  let directory: Directory
  let validator: TokenValidator
  let secure: Bool
  /// Objects administrators create at run time.
  var store = GraphStore()

  enum Collection: String {
    case applications
    case servicePrincipals

    static func named(_ text: some StringProtocol) -> Collection? {
      switch text.lowercased() {
      case "applications": .applications
      case "serviceprincipals": .servicePrincipals
      default: nil
      }
    }
  }

  /// Who called, read from a token this emulator issued for Graph.
  struct Caller: Sendable {
    let appID: String
    let tenantID: String
    let registration: ClientRegistration?
    /// A delegated (user) token's scopes; empty for an app-only token.
    let scopes: Set<String>
    var delegated: Bool { !scopes.isEmpty }
  }

  // MARK: - Replies

  func headers(requestID: String, clientRequestID: String?) -> HTTPFields {
    var fields = HTTPFields()
    fields[.cacheControl] = "no-cache"
    fields[.contentType] =
      "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    if secure { fields[.strictTransportSecurity] = "max-age=31536000" }
    fields[.requestID] = requestID
    fields[.clientRequestID] = clientRequestID ?? requestID
    fields[.odataVersion] = "4.0"
    return fields
  }

  /// Graph's error envelope: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
  func error(_ status: Int, code: String, message: String, request: Incoming, now: Int) -> Reply {
    let requestID = StableID.random()
    let clientRequestID = request.clientRequestID ?? requestID
    let body = JSONText.object([
      (
        "error",
        .object([
          ("code", .string(code)),
          ("message", .string(message)),
          (
            "innerError",
            .object([
              ("date", .string(TimeText.iso8601(now))),
              ("request-id", .string(requestID)),
              ("client-request-id", .string(clientRequestID)),
            ])
          ),
        ])
      )
    ])
    return Reply(
      status: status, headers: headers(requestID: requestID, clientRequestID: clientRequestID), body: body.serialized)
  }

  private func ok(_ body: JSONText, request: Incoming, status: Int = 200) -> Reply {
    let requestID = StableID.random()
    return Reply(
      status: status, headers: headers(requestID: requestID, clientRequestID: request.clientRequestID),
      body: body.serialized)
  }

  func denied(_ request: Incoming, now: Int) -> Reply {
    error(
      403, code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation.",
      request: request, now: now)
  }

  func notFound(_ id: String, request: Incoming, now: Int) -> Reply {
    error(
      404, code: "Request_ResourceNotFound",
      message: "Resource '\(id)' does not exist or one of its queried reference-property objects are not present.",
      request: request, now: now)
  }

  // MARK: - Authentication

  /// The caller, or the 401 Graph answers for a missing or unusable token.
  func authenticate(_ request: Incoming, now: Int) -> Result<Caller, ReplyBox> {
    guard let token = request.bearerToken, !token.isEmpty else {
      return .failure(
        ReplyBox(
          error(401, code: "InvalidAuthenticationToken", message: "Access token is empty.", request: request, now: now))
      )
    }
    guard let claims = validator.verifiedClaims(token) else {
      return .failure(
        ReplyBox(
          error(
            401, code: "InvalidAuthenticationToken",
            message:
              "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format.",
            request: request, now: now)))
    }
    guard JSONRead.strings(claims["aud"]).contains(where: Facts.graphAudiences.contains) else {
      return .failure(
        ReplyBox(
          error(
            401, code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid audience.",
            request: request, now: now)))
    }
    guard let expires = JSONRead.int(claims["exp"]), now < expires + Facts.allowedSkew else {
      return .failure(
        ReplyBox(
          error(
            401, code: "InvalidAuthenticationToken", message: "Lifetime validation failed, the token is expired.",
            request: request, now: now)))
    }
    let appID = (claims["appid"] as? String ?? claims["azp"] as? String ?? "").lowercased()
    let tenantID = (claims["tid"] as? String ?? "").lowercased()
    let scopes = Set((claims["scp"] as? String ?? "").split(separator: " ").map(String.init))
    return .success(
      Caller(
        appID: appID, tenantID: tenantID,
        registration: directory.client(appID) ?? store.client(appID, presenting: nil, now: now, tenantID: tenantID),
        scopes: scopes))
  }

  // MARK: - Routing

  /// `segments` follow `v1.0`.
  func handle(segments: ArraySlice<Substring>, request: Incoming, now: Int) -> Reply {
    let caller: Caller
    switch authenticate(request, now: now) {
    case .failure(let box): return box.reply
    case .success(let found): caller = found
    }
    if caller.delegated { return administer(segments: segments, caller: caller, request: request, now: now) }
    // An app-only token without Graph permissions writes nothing.
    guard request.method == .get else { return denied(request, now: now) }
    if caller.registration?.graph.access == .forbidden { return denied(request, now: now) }

    guard segments.count == 1, let segment = segments.first.map({ String($0).removingPercentEncoding ?? String($0) })
    else {
      return error(
        400, code: "BadRequest", message: "Resource not found for the segment '\(segments.joined(separator: "/"))'.",
        request: request, now: now)
    }
    let select = request.queryItem("$select").map {
      Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    // applications(appId='…') / servicePrincipals(appId='…')
    if let open = segment.firstIndex(of: "("), segment.hasSuffix(")"),
      let collection = Collection.named(segment[..<open])
    {
      let inner = segment[segment.index(after: open)..<segment.index(before: segment.endIndex)]
      guard let appID = Self.alternateKey(inner) else {
        return error(
          400, code: "Request_BadRequest", message: "Invalid object identifier '\(inner)'.", request: request, now: now)
      }
      return single(collection, appID: appID, caller: caller, select: select, request: request, now: now)
    }
    // applications?$filter=appId eq '…'
    if let collection = Collection.named(segment) {
      guard let filter = request.queryItem("$filter"), let appID = Self.appIDFilter(filter) else {
        return denied(request, now: now)
      }
      return list(collection, appID: appID, caller: caller, select: select, request: request, now: now)
    }
    return error(
      400, code: "BadRequest", message: "Resource not found for the segment '\(segment)'.", request: request, now: now)
  }

  /// `appId='…'` → the quoted value.
  static func alternateKey(_ text: Substring) -> String? {
    let prefix = "appid='"
    guard text.lowercased().hasPrefix(prefix), text.hasSuffix("'"), text.count > prefix.count + 1 else { return nil }
    return String(text.dropFirst(prefix.count).dropLast())
  }

  /// `appId eq '…'` → the quoted value.
  static func appIDFilter(_ text: String) -> String? {
    let words = text.split(separator: " ", maxSplits: 2)
    guard words.count == 3, words[0].lowercased() == "appid", words[1].lowercased() == "eq",
      words[2].hasPrefix("'"), words[2].hasSuffix("'"), words[2].count >= 2
    else { return nil }
    return String(words[2].dropFirst().dropLast())
  }

  private func single(
    _ collection: Collection, appID: String, caller: Caller, select: Set<String>?, request: Incoming, now: Int
  ) -> Reply {
    guard appID.lowercased() == caller.appID else {
      // An app-only token without Graph permissions reads only its own objects.
      return directory.client(appID) == nil && !StableID.isGUID(appID)
        ? notFound(appID, request: request, now: now) : denied(request, now: now)
    }
    guard let registration = caller.registration, let object = object(collection, registration, now: now) else {
      return notFound(appID, request: request, now: now)
    }
    let context = "\(request.base)/v1.0/$metadata#\(collection.rawValue)/$entity"
    return ok(.object([("@odata.context", .string(context))] + Self.selecting(object, select)), request: request)
  }

  private func list(
    _ collection: Collection, appID: String, caller: Caller, select: Set<String>?, request: Incoming, now: Int
  ) -> Reply {
    guard appID.lowercased() == caller.appID else { return denied(request, now: now) }
    let found = caller.registration.flatMap { object(collection, $0, now: now) }
    let items: [JSONText] = found.map { [.object(Self.selecting($0, select))] } ?? []
    let context = "\(request.base)/v1.0/$metadata#\(collection.rawValue)"
    return ok(.object([("@odata.context", .string(context)), ("value", .array(items))]), request: request)
  }

  static func selecting(_ members: [(String, JSONText)], _ select: Set<String>?) -> [(String, JSONText)] {
    guard let select, !select.isEmpty else { return members }
    let wanted = Set(select.map { $0.lowercased() })
    return members.filter { $0.0 == "id" || wanted.contains($0.0.lowercased()) }
  }

  private func object(_ collection: Collection, _ registration: ClientRegistration, now: Int) -> [(String, JSONText)]? {
    if collection == .applications, let app = store.withState({ $0.applications[registration.clientID.lowercased()] }) {
      // The application object lives in its home tenant only.
      return app.tenantID.lowercased() == registration.tenantID.lowercased()
        ? GraphObjects.application(app, now: now) : nil
    }
    return switch collection {
    case .applications: GraphObjects.application(registration, directory: directory, now: now)
    case .servicePrincipals: GraphObjects.servicePrincipal(registration, now: now)
    }
  }
}

/// A reply carried through a `Result` failure.
struct ReplyBox: Error, @unchecked Sendable {
  let reply: Reply
  init(_ reply: Reply) { self.reply = reply }
}
