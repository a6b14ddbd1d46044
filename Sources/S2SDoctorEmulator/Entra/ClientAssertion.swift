import Crypto
import Foundation
import _CryptoExtras

/// Checks a `client_assertion` (RFC 7523) the way Entra ID does for certificate credentials.
enum ClientAssertion {
  /// `nil` when the assertion proves `client`; otherwise the Entra error to answer.
  /// - Parameter audiences: the values `aud` may take (the token endpoint URL, in its forms).
  static func verify(
    _ assertion: String, client: ClientRegistration, audiences: Set<String>, now: Int
  ) -> EntraError? {
    let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3,
      let headerData = Base64URL.decode(parts[0]), let header = JSONRead.object(headerData),
      let payloadData = Base64URL.decode(parts[1]), let claims = JSONRead.object(payloadData),
      let signatureData = Base64URL.decode(parts[2]), !signatureData.isEmpty
    else { return .assertionInvalid("The assertion is not a signed JWT.") }

    // The certificate is named by its SHA-256 thumbprint (`x5t#S256`), by the older SHA-1
    // thumbprint (`x5t`, which MSAL Python sends) or by the certificate itself (`x5c`).
    // Thumbprints are compared as bytes: MSAL and azure-identity pad their base64url `x5t`.
    let presented: Data
    let certificate: VerifyingCertificate?
    if let sha256 = (header["x5t#S256"] as? String).flatMap(Base64URL.decode) {
      presented = sha256
      certificate = client.certificates.first { $0.sha256Digest == sha256 }
    } else if let sha1 = (header["x5t"] as? String).flatMap(Base64URL.decode) {
      presented = sha1
      certificate = client.certificates.first { $0.sha1Digest == sha1 }
    } else if let chain = header["x5c"] as? [String], let first = chain.first,
      let der = Data(base64Encoded: first)
    {
      presented = Data(Insecure.SHA1.hash(data: der))
      certificate = client.certificates.first { Data($0.der) == der }
    } else {
      return .assertionInvalid("The assertion header names no certificate (x5t#S256, x5t or x5c).")
    }
    guard let certificate else {
      return .certificateRejected(client.clientID, thumbprint: hexThumbprint(presented))
    }

    let algorithm = header["alg"] as? String
    let padding: _RSA.Signing.Padding
    switch algorithm {
    case "RS256": padding = .insecurePKCS1v1_5
    case "PS256": padding = .PSS
    default: return .assertionInvalid("Unsupported signing algorithm '\(algorithm ?? "")'.")
    }
    let signingInput = Data((String(parts[0]) + "." + String(parts[1])).utf8)
    let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureData)
    guard
      certificate.publicKey.isValidSignature(
        signature, for: SHA256.hash(data: signingInput), padding: padding)
    else {
      return .certificateRejected(client.clientID, thumbprint: hexThumbprint(presented))
    }

    guard let issuer = claims["iss"] as? String, let subject = claims["sub"] as? String,
      issuer.lowercased() == client.clientID.lowercased(),
      subject.lowercased() == client.clientID.lowercased()
    else { return .assertionClientMismatch }
    let audience = JSONRead.strings(claims["aud"])
    guard audience.contains(where: { audiences.contains($0.lowercased()) }) else {
      return .assertionInvalid(
        "The assertion audience '\(audience.joined(separator: ", "))' is not this token endpoint.")
    }
    guard let expires = JSONRead.int(claims["exp"]), expires + Facts.allowedSkew > now else {
      return .assertionExpired
    }
    if let notBefore = JSONRead.int(claims["nbf"]), notBefore - Facts.allowedSkew > now {
      return .assertionExpired
    }
    return nil
  }

  /// The thumbprint as Entra prints it in the 700027 message: upper-case hex.
  private static func hexThumbprint(_ bytes: Data) -> String {
    bytes.map { byte in
      let text = String(byte, radix: 16, uppercase: true)
      return text.count == 1 ? "0" + text : text
    }.joined()
  }
}
