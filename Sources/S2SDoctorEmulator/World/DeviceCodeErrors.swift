/// Errors of the device authorization grant. Codes 70016/70018/70019 are Entra's; Entra does not
/// document `slow_down` or a code for `authorization_declined` (RFC 8628 names both), so those
/// reuse 70016 and 70000 here (unverified).
extension EntraError {
  static let authorizationPending = EntraError(
    error: "authorization_pending", code: 70016,
    message: "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
  static let slowDown = EntraError(
    error: "slow_down", code: 70016,
    message: "OAuth 2.0 device flow error. Polling too fast; wait longer between requests.")
  static let authorizationDeclined = EntraError(
    error: "authorization_declined", code: 70000,
    message: "The user declined the authorization request.")
  static let badVerificationCode = EntraError(
    error: "bad_verification_code", code: 70018,
    message: "Invalid verification code was entered.")
  static let deviceCodeExpired = EntraError(
    error: "expired_token", code: 70019,
    message: "Verification code expired.")
}
