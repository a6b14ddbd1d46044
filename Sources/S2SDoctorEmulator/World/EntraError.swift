/// An error of the Entra ID token or discovery endpoint: the `error` value, the AADSTS code and
/// the message that follows `AADSTS<code>: ` in `error_description`.
///
/// Messages follow the wording seen in real responses (see the fidelity notes); codes marked
/// "unverified" below have no captured real response.
struct EntraError: Sendable, Equatable {
  let error: String
  let code: Int
  let message: String

  /// `invalid_client` is 401 in real responses; every other client-credentials error is 400.
  var status: Int { error == "invalid_client" ? 401 : 400 }

  static func tenantNotFound(_ tenant: String, discovery: Bool) -> EntraError {
    EntraError(
      error: discovery ? "invalid_tenant" : "invalid_request", code: 90002,
      message:
        "Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
    )
  }

  static func tenantMalformed(_ tenant: String, discovery: Bool) -> EntraError {
    EntraError(
      error: discovery ? "invalid_tenant" : "invalid_request", code: 900023,
      message:
        "Specified tenant identifier '\(tenant)' is neither a valid DNS name, nor a valid external domain."
    )
  }

  /// Client credentials at `/common` or `/consumers`.
  static let commonEndpoint = EntraError(
    error: "invalid_request", code: 9001023,
    message:
      "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint."
  )

  /// Cross-cloud request (error value unverified).
  static let crossCloud = EntraError(
    error: "invalid_request", code: 900432,
    message: "Confidential Client is not supported in Cross Cloud request.")

  /// A confidential client used across clouds: an app registered in one cloud (portal.azure.us,
  /// say) asking a tenant of another for a token. Observed in public logs as HTTP 400
  /// `invalid_request` AADSTS900382 (sjkp/letsencrypt-siteextension#408, Azure/ms-rest-nodeauth#110).
  static let crossCloudClient = EntraError(
    error: "invalid_request", code: 900382,
    message: "Confidential Client is not supported in Cross Cloud request.")

  static func appNotFound(_ clientID: String, tenantName: String) -> EntraError {
    EntraError(
      error: "unauthorized_client", code: 700016,
      message:
        "Application with identifier '\(clientID)' was not found in the directory '\(tenantName)'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
    )
  }

  /// A multitenant app never consented in this tenant (documented message; status unverified).
  static func servicePrincipalMissing(_ clientID: String, tenantID: String) -> EntraError {
    EntraError(
      error: "unauthorized_client", code: 7000229,
      message:
        "The client application \(clientID) is missing service principal in the tenant \(tenantID). See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119"
    )
  }

  static func secretInvalid(_ clientID: String) -> EntraError {
    EntraError(
      error: "invalid_client", code: 7000215,
      message:
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(clientID)'."
    )
  }

  static func secretExpired(_ clientID: String) -> EntraError {
    EntraError(
      error: "invalid_client", code: 7000222,
      message:
        "The provided client secret keys for app '\(clientID)' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
    )
  }

  static let credentialMissing = EntraError(
    error: "invalid_client", code: 7000216,
    message:
      "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."
  )

  static let tenantNotSpecified = EntraError(
    error: "invalid_request", code: 50059,
    message:
      "No tenant-identifying information found in either the request or implied by any provided credentials."
  )

  static func scopeInvalid(_ scope: String) -> EntraError {
    EntraError(
      error: "invalid_scope", code: 1002012,
      message:
        "The provided value for scope \(scope) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
    )
  }

  static func resourceNotFound(_ resource: String, tenantName: String) -> EntraError {
    EntraError(
      error: "invalid_resource", code: 500011,
      message:
        "The resource principal named \(resource) was not found in the tenant named \(tenantName). This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
    )
  }

  static func appDisabled(_ clientID: String, name: String) -> EntraError {
    EntraError(
      error: "unauthorized_client", code: 7000112,
      message: "Application '\(clientID)'(\(name)) is disabled.")
  }

  static let conditionalAccess = EntraError(
    error: "invalid_grant", code: 53003,
    message:
      "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."
  )

  static func certificateRejected(_ clientID: String, thumbprint: String) -> EntraError {
    EntraError(
      error: "invalid_client", code: 700027,
      message:
        "Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '\(thumbprint)', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '\(clientID)'.]"
    )
  }

  static func assertionInvalid(_ reason: String) -> EntraError {
    EntraError(error: "invalid_client", code: 50027, message: "JWT token is invalid or malformed. \(reason)")
  }

  static let assertionExpired = EntraError(
    error: "invalid_client", code: 700024,
    message: "Client assertion is not within its valid time range.")

  static let assertionClientMismatch = EntraError(
    error: "invalid_client", code: 700021,
    message: "Client assertion application identifier doesn't match 'client_id' parameter.")

  static func unsupportedGrant(_ grant: String) -> EntraError {
    EntraError(
      error: "unsupported_grant_type", code: 70003,
      message: "The app requested an unsupported grant type '\(grant)'.")
  }

  static func missingParameter(_ name: String) -> EntraError {
    EntraError(
      error: "invalid_request", code: 900144,
      message: "The request body must contain the following parameter: '\(name)'.")
  }

  static let resourceParameter = EntraError(
    error: "invalid_request", code: 901002,
    message: "The 'resource' request parameter is not supported.")

  /// A real but obscure code that the tool's catalogue does not list (`entra.unknown-error`).
  /// (AADSTS50000 "There was an error issuing a token." is catalogued as a service problem.)
  static let unknown = EntraError(
    error: "invalid_request", code: 50169,
    message: "The realm isn't a configured realm of the current service namespace.")

  /// The token could not be signed (an emulator failure, answered as 500).
  static let issuingFailed = EntraError(
    error: "server_error", code: 50000, message: "There was an error issuing a token.")

  /// The body of `entra.throttled` (429). No real 429 body was captured; this one is synthetic.
  static let throttled = EntraError(
    error: "temporarily_unavailable", code: 90055,
    message: "There are too many incoming requests. Please try again later.")

  /// The body of `entra.unavailable` (503). Synthetic, like the 429 body.
  static let unavailable = EntraError(
    error: "temporarily_unavailable", code: 90033,
    message: "A transient error has occurred. Please try again.")

  static let unknownInstance = EntraError(
    error: "invalid_instance", code: 50049, message: "Unknown or invalid instance.")
}
