import Foundation
import HTTPTypes
import NIOCore

/// The device authorization grant (RFC 8628) as Entra ID runs it: `/devicecode` hands out a user
/// code, the token endpoint answers `authorization_pending` until the user signs in. Nobody signs
/// in at an emulator, so it approves by itself on the second poll, as the administrator of the
/// tenant. Public client ids listed in `World.deviceBehaviours` misbehave on purpose.
extension EntraService {
  static let deviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"
  /// Seconds between polls the emulator asks for (Entra asks for 5; tests should not wait).
  static let deviceInterval = 1
  static let deviceLifetime = 900

  /// `POST /{tenant}/oauth2/v2.0/devicecode`.
  func deviceCode(tenantSegment: String, request: Incoming, now: Int) -> Reply {
    guard let tenant = directory.tenant(tenantSegment.removingPercentEncoding ?? tenantSegment) else {
      return errorReply(.tenantNotFound(tenantSegment, discovery: false), request: request, now: now)
    }
    let form = request.body.map { FormBody.parse(Substring(String(buffer: $0))) } ?? [:]
    guard let clientID = form["client_id"], !clientID.isEmpty else {
      return errorReply(.missingParameter("client_id"), request: request, now: now)
    }
    guard let scope = form["scope"], !scope.isEmpty else {
      return errorReply(.missingParameter("scope"), request: request, now: now)
    }
    let deviceCode = "DAQABAAEAAAD" + StableID.opaque(count: 120)
    let userCode = String(StableID.alphanumeric("user-code/" + deviceCode, count: 9)).uppercased()
    let behaviour = World.deviceBehaviours[clientID.lowercased()] ?? .approve
    store.withState {
      $0.deviceCodes[deviceCode] = GraphStore.DeviceCode(
        deviceCode: deviceCode, userCode: userCode, clientID: clientID.lowercased(), tenantID: tenant.id,
        scope: scope, issuedAt: now, behaviour: behaviour)
    }
    let verification = "https://microsoft.com/devicelogin"
    let body = JSONText.object([
      ("user_code", .string(userCode)),
      ("device_code", .string(deviceCode)),
      ("verification_uri", .string(verification)),
      ("expires_in", .int(Self.deviceLifetime)),
      ("interval", .int(Self.deviceInterval)),
      (
        "message",
        .string(
          "To sign in, use a web browser to open the page \(verification) and enter the code \(userCode) to authenticate."
        )
      ),
    ])
    return Reply(status: 200, headers: tokenHeaders(), body: body.serialized)
  }

  /// The token endpoint's device-code grant.
  func deviceToken(tenant: Tenant, form: [String: String], request: Incoming, now: Int) -> Reply {
    guard let code = form["device_code"], !code.isEmpty else {
      return errorReply(.missingParameter("device_code"), request: request, now: now)
    }
    enum Step {
      case pending, slowDown, declined, expired, unknown, approved(GraphStore.DeviceCode)
    }
    let step: Step = store.withState { state in
      guard var entry = state.deviceCodes[code], entry.tenantID == tenant.id else { return .unknown }
      entry.polls += 1
      state.deviceCodes[code] = entry
      if now > entry.issuedAt + Self.deviceLifetime { return .expired }
      switch entry.behaviour {
      case .declined: return entry.polls >= 2 ? .declined : .pending
      case .expired: return entry.polls >= 2 ? .expired : .pending
      case .slowDown:
        if entry.polls == 1 { return .slowDown }
        return entry.polls >= 3 ? .approved(entry) : .pending
      case .approve: return entry.polls >= 2 ? .approved(entry) : .pending
      }
    }
    switch step {
    case .unknown: return errorReply(.badVerificationCode, request: request, now: now)
    case .pending: return errorReply(.authorizationPending, request: request, now: now)
    case .slowDown: return errorReply(.slowDown, request: request, now: now)
    case .declined: return errorReply(.authorizationDeclined, request: request, now: now)
    case .expired: return errorReply(.deviceCodeExpired, request: request, now: now)
    case .approved(let entry):
      _ = store.withState { $0.deviceCodes.removeValue(forKey: code) }
      let scopes = entry.scope.split(separator: " ").map(String.init)
      return adminTokenReply(tenant: tenant, clientID: entry.clientID, scopes: scopes, request: request, now: now)
    }
  }
}

extension EntraService {
  /// The token response of an administrator's sign-in (device code or authorization code).
  func adminTokenReply(tenant: Tenant, clientID: String, scopes: [String], request: Incoming, now: Int) -> Reply {
    do {
      let token = try issuer.issueAdmin(tenant: tenant, clientID: clientID, scopes: scopes, now: now)
      store.ledger?.record(.adminToken, token)
      let granted = scopes.filter { !["openid", "profile", "offline_access"].contains($0) }
      let body = JSONText.object([
        ("token_type", .string("Bearer")),
        ("scope", .string(granted.joined(separator: " "))),
        ("expires_in", .int(TokenIssuer.lifetime)),
        ("ext_expires_in", .int(TokenIssuer.lifetime)),
        ("access_token", .string(token)),
      ])
      return Reply(status: 200, headers: tokenHeaders(), body: body.serialized)
    } catch {
      return errorReply(.issuingFailed, request: request, now: now, status: 500)
    }
  }
}
