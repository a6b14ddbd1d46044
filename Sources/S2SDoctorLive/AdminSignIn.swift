import Foundation
import S2SDoctorCore

/// An administrator's delegated token, kept in memory only (registered with the redactor).
public struct AdminToken: Sendable {
  public var accessToken: String
  public var scopes: String
}

/// Why an administrator sign-in or a Graph change did not go through, in words for the console.
public struct AdminFailure: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The OAuth 2.0 device authorization grant (RFC 8628) against Entra ID's v2.0 endpoints.
public struct DeviceCodeSignIn: Sendable {
  /// Microsoft Graph Command Line Tools: a public client that allows dynamic consent to Graph
  /// scopes (`--admin-client-id` overrides it with the organisation's own public client).
  public static let defaultClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
  public static let graphScopes = [
    "https://graph.microsoft.com/Application.ReadWrite.All",
    "https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All",
  ]

  public let transport: HTTPTransport
  public let authorityHost: String
  public let tenant: String
  public let clientID: String

  public init(transport: HTTPTransport, authorityHost: String, tenant: String, clientID: String) {
    self.transport = transport
    self.authorityHost = authorityHost
    self.tenant = tenant
    self.clientID = clientID
  }

  private func post(_ path: String, _ fields: [(String, String)]) async throws -> HTTPResponse {
    let body = fields.map { "\($0.0)=\(Redactor.formEncode($0.1))" }.joined(separator: "&")
    return try await transport.send(
      HTTPRequest(
        method: "POST", url: "\(authorityHost)/\(EntraClient.pathSegment(tenant))/oauth2/v2.0/\(path)",
        headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
        body: Data(body.utf8)))
  }

  static func describe(_ response: HTTPResponse) -> String {
    let json = response.json
    let error = json?["error"]?.string ?? "HTTP \(response.status)"
    let line = json?["error_description"]?.string?.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    return line.isEmpty ? error : "\(error): \(line)"
  }

  /// Asks for a user code, shows `prompt` the message, and polls until the administrator signs in.
  /// - Parameter sleep: waits between polls (tests shorten nothing: the emulator asks for 1 s).
  public func signIn(
    scopes: [String] = graphScopes, prompt: @Sendable (String) -> Void,
    sleep: @Sendable (Int) async -> Void = { seconds in try? await Task.sleep(for: .seconds(seconds)) }
  ) async throws -> AdminToken {
    let scope = (scopes + ["offline_access"]).joined(separator: " ")
    let start = try await post("devicecode", [("client_id", clientID), ("scope", scope)])
    guard start.status == 200, let json = start.json, let deviceCode = json["device_code"]?.string else {
      throw AdminFailure("the device-code sign-in could not start (\(Self.describe(start)))")
    }
    Redactor.shared.register(deviceCode)
    prompt(
      json["message"]?.string
        ?? "Open \(json["verification_uri"]?.string ?? "https://microsoft.com/devicelogin") and enter the code \(json["user_code"]?.string ?? "?")."
    )
    var interval = max(1, json["interval"]?.int ?? 5)
    let deadline = Date().addingTimeInterval(Double(json["expires_in"]?.int ?? 900))
    while Date() < deadline {
      await sleep(interval)
      let response = try await post(
        "token",
        [
          ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", clientID),
          ("device_code", deviceCode),
        ])
      if response.status == 200, let token = response.json?["access_token"]?.string {
        Redactor.shared.register(token)
        if let refresh = response.json?["refresh_token"]?.string { Redactor.shared.register(refresh) }
        return AdminToken(accessToken: token, scopes: response.json?["scope"]?.string ?? "")
      }
      switch response.json?["error"]?.string {
      case "authorization_pending": continue
      case "slow_down": interval += 5
      case "authorization_declined":
        throw AdminFailure("the administrator declined the sign-in; nothing was changed")
      case "expired_token", "code_expired":
        throw AdminFailure("the code expired before anyone signed in; run the command again")
      case "bad_verification_code":
        throw AdminFailure("Entra ID did not recognise the device code (\(Self.describe(response)))")
      default:
        let text = Self.describe(response)
        if text.contains("AADSTS53003") {
          throw AdminFailure(
            "Conditional Access blocks the device-code flow in this tenant (\(text)); sign in from an allowed device, or create the registration in the portal"
          )
        }
        throw AdminFailure("the sign-in failed (\(text))")
      }
    }
    throw AdminFailure("nobody signed in within the code's lifetime; run the command again")
  }
}
