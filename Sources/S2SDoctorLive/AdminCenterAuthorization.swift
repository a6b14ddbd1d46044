import Foundation
import S2SDoctorCore

/// The Business Central admin center's *Authorized Microsoft Entra apps*, read and updated as a
/// signed-in administrator (the endpoints refuse app tokens).
public struct AdminCenterAuthorization: Sendable {
  public let transport: HTTPTransport
  /// `https://api.businesscentral.dynamics.com/admin/v2.24`.
  public let base: String
  public let token: AdminToken

  /// The delegated scope the administrator signs in with for the admin center.
  public static let scopes = ["https://api.businesscentral.dynamics.com/user_impersonation"]

  public init(transport: HTTPTransport, apiHost: String, token: AdminToken) {
    self.transport = transport
    self.base = apiHost + "/admin/v2.24"
    self.token = token
  }

  private func send(_ method: String, _ path: String) async throws -> HTTPResponse {
    try await transport.send(
      HTTPRequest(
        method: method, url: base + "/authorizedAadApps" + path,
        headers: [("Authorization", "Bearer \(token.accessToken)"), ("Accept", "application/json")], body: nil))
  }

  static func describe(_ response: HTTPResponse) -> String {
    let json = response.json
    let message = json?["message"]?.string ?? json?["error"]?["message"]?.string ?? ""
    return message.isEmpty ? "HTTP \(response.status)" : "HTTP \(response.status): \(message)"
  }

  /// The authorized app ids (lowercased).
  public func authorizedApps() async throws -> Set<String> {
    let response = try await send("GET", "")
    guard response.status == 200, let list = response.json?.array else {
      throw AdminFailure("could not read the admin center's authorized apps (\(Self.describe(response)))")
    }
    return Set(list.compactMap { $0["appId"]?.string?.lowercased() })
  }

  /// Authorizes `appID`; admin consent and permission sets are not part of it.
  public func authorize(_ appID: String) async throws {
    let response = try await send("PUT", "/" + appID)
    guard response.status == 200 || response.status == 201 else {
      throw AdminFailure("authorizing the app in the admin center failed (\(Self.describe(response)))")
    }
  }
}
