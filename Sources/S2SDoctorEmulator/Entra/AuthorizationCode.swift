import Crypto
import Foundation
import HTTPTypes

/// The authorization code grant with PKCE (RFC 7636) for public clients on a loopback redirect,
/// as an administrator signs in where Conditional Access blocks the device-code flow.
///
/// Nobody signs in at an emulator: `/authorize` approves at once, as the tenant's administrator,
/// and redirects the browser to the loopback `redirect_uri` with the code, as Entra ID does after
/// a successful sign-in. The public client ids of `World.deviceBehaviours` that decline do so
/// here too (`error=access_denied` on the redirect).
extension EntraService {
  /// Seconds an authorization code stays redeemable (Entra's codes live about ten minutes).
  static let authorizationCodeLifetime = 600

  /// `GET /{tenant}/oauth2/v2.0/authorize`.
  func authorize(tenantSegment: String, request: Incoming, now: Int) -> Reply {
    guard let tenant = directory.tenant(tenantSegment.removingPercentEncoding ?? tenantSegment) else {
      return errorPage(.tenantNotFound(tenantSegment, discovery: false))
    }
    func item(_ name: String) -> String { request.queryItem(name) ?? "" }
    let clientID = item("client_id")
    guard !clientID.isEmpty else { return errorPage(.missingParameter("client_id")) }
    // Entra shows an error page (no redirect) when the redirect URI itself is wrong.
    let redirect = item("redirect_uri")
    guard let components = URLComponents(string: redirect), components.scheme == "http",
      ["127.0.0.1", "localhost", "[::1]", "::1"].contains(components.host ?? "")
    else {
      return errorPage(
        EntraError(
          error: "invalid_request", code: 50011,
          message:
            "The redirect URI '\(redirect)' specified in the request does not match the redirect URIs configured for the application '\(clientID)'."
        ))
    }
    let state = item("state")
    func back(_ pairs: [(String, String)]) -> Reply {
      var allowed = CharacterSet.alphanumerics
      allowed.insert(charactersIn: "-._~")
      let query = (pairs + [("state", state)]).map {
        "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
      }.joined(separator: "&")
      var fields = HTTPFields()
      fields[.location] = redirect + (redirect.contains("?") ? "&" : "?") + query
      fields[.contentType] = "text/html; charset=utf-8"
      return Reply(status: 302, headers: fields, body: "")
    }
    guard item("response_type") == "code" else {
      return back([
        ("error", "unsupported_response_type"),
        ("error_description", "AADSTS700054: response_type 'code' is required."),
      ])
    }
    let challenge = item("code_challenge")
    guard !challenge.isEmpty, item("code_challenge_method") == "S256" else {
      return back([
        ("error", "invalid_request"),
        (
          "error_description",
          "AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption."
        ),
      ])
    }
    if World.deviceBehaviours[clientID.lowercased()] == .declined {
      return back([
        ("error", "access_denied"), ("error_description", "AADSTS65004: User declined to consent to access the app."),
      ])
    }
    let code = "1.AQ" + StableID.opaque(count: 180)
    store.withState {
      $0.authorizationCodes[code] = GraphStore.AuthorizationCode(
        clientID: clientID.lowercased(), tenantID: tenant.id, redirectURI: redirect, scope: item("scope"),
        challenge: challenge, issuedAt: now)
    }
    return back([("code", code)])
  }

  /// The token endpoint's authorization-code grant: the code once, from the same client and
  /// redirect URI, with the verifier whose SHA-256 is the challenge.
  func codeToken(tenant: Tenant, form: [String: String], request: Incoming, now: Int) -> Reply {
    guard let code = form["code"], !code.isEmpty else {
      return errorReply(.missingParameter("code"), request: request, now: now)
    }
    let entry = store.withState { $0.authorizationCodes.removeValue(forKey: code) }
    guard let entry, entry.tenantID == tenant.id, now <= entry.issuedAt + Self.authorizationCodeLifetime else {
      return errorReply(
        EntraError(
          error: "invalid_grant", code: 70008,
          message:
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."
        ),
        request: request, now: now)
    }
    guard form["client_id"]?.lowercased() == entry.clientID, form["redirect_uri"] == entry.redirectURI else {
      return errorReply(
        EntraError(
          error: "invalid_grant", code: 50148,
          message: "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE."
        ),
        request: request, now: now)
    }
    let verifier = form["code_verifier"] ?? ""
    guard Base64URL.encode(SHA256.hash(data: Data(verifier.utf8))) == entry.challenge else {
      return errorReply(
        EntraError(
          error: "invalid_grant", code: 501481,
          message: "The Code_Verifier does not match the code_challenge supplied in the authorization request."),
        request: request, now: now)
    }
    let scopes = entry.scope.split(separator: " ").map(String.init)
    return adminTokenReply(tenant: tenant, clientID: entry.clientID, scopes: scopes, request: request, now: now)
  }

  static func escapeHTML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }

  /// The page Entra ID shows instead of redirecting (a bad client or redirect URI).
  private func errorPage(_ error: EntraError) -> Reply {
    var fields = HTTPFields()
    fields[.contentType] = "text/html; charset=utf-8"
    return Reply(
      status: 400, headers: fields,
      body:
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS\(error.code): \(Self.escapeHTML(error.message))</p></body></html>"
    )
  }
}
