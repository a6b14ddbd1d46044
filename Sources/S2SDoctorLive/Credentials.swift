import Crypto
import Foundation
import S2SDoctorCore
import SwiftASN1
import X509
import _CryptoExtras

/// A certificate to upload to an app registration (`setup --create --certificate FILE`): the
/// public certificate only; the private key, when the file has one too, stays where it is.
public struct UploadCertificate: Sendable {
  public let der: [UInt8]
  public let notAfter: Date
  public let subject: String
  /// Whether the file also holds the private key (then the checks can run with it).
  public let hasPrivateKey: Bool

  public var thumbprintSHA1Hex: String { Insecure.SHA1.hash(data: der).map { String(format: "%02X", $0) }.joined() }

  public init(pemFile path: String) throws(InputProblem) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw InputProblem(Reason.inputCertificateInvalid, "Cannot read the certificate file \(path).")
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let pem = CertificateCredential.block(text, kind: "CERTIFICATE"),
      let certificate = try? Certificate(pemEncoded: pem),
      _RSA.Signing.PublicKey(certificate.publicKey) != nil
    else {
      throw InputProblem(
        Reason.inputCertificateInvalid, "\(path) holds no RSA certificate in PEM (-----BEGIN CERTIFICATE-----).")
    }
    var serializer = DER.Serializer()
    do {
      try serializer.serialize(certificate)
    } catch {
      throw InputProblem(Reason.inputCertificateInvalid, "\(path) cannot be used: \(error).")
    }
    der = serializer.serializedBytes
    notAfter = certificate.notValidAfter
    subject = certificate.subject.description
    hasPrivateKey =
      CertificateCredential.block(text, kind: "PRIVATE KEY")
      ?? CertificateCredential.block(text, kind: "RSA PRIVATE KEY")
      != nil
  }
}

/// A certificate credential: the certificate (for its thumbprint) and its RSA private key.
public struct CertificateCredential: Sendable {
  public let der: [UInt8]
  let key: _RSA.Signing.PrivateKey
  public let notAfter: Date

  /// SHA-256 thumbprint, base64url: the `x5t#S256` header of a client assertion.
  public var thumbprintS256: String { TokenClaims.base64URLEncode(Data(SHA256.hash(data: der))) }
  public var thumbprintSHA1Hex: String { Insecure.SHA1.hash(data: der).map { String(format: "%02X", $0) }.joined() }

  /// Reads one PEM file holding a certificate and its private key (PKCS#1 or PKCS#8).
  public init(pemFile path: String) throws(InputProblem) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw InputProblem(Reason.inputCertificateInvalid, "Cannot read the certificate file \(path).")
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let certPEM = Self.block(text, kind: "CERTIFICATE") else {
      throw InputProblem(
        Reason.inputCertificateInvalid, "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----).")
    }
    guard let keyPEM = Self.block(text, kind: "PRIVATE KEY") ?? Self.block(text, kind: "RSA PRIVATE KEY") else {
      throw InputProblem(
        Reason.inputCertificateInvalid,
        "\(path) holds no private key. Put the certificate and its key in one PEM file (openssl pkcs12 -in app.pfx -out app.pem -nodes)."
      )
    }
    do {
      let certificate = try Certificate(pemEncoded: certPEM)
      var serializer = DER.Serializer()
      try serializer.serialize(certificate)
      der = serializer.serializedBytes
      notAfter = certificate.notValidAfter
      key = try _RSA.Signing.PrivateKey(pemRepresentation: keyPEM)
      guard Data(key.publicKey.derRepresentation) == Data(try Self.publicKeyDER(certificate)) else {
        throw InputProblem(
          Reason.inputCertificateInvalid, "The private key in \(path) does not belong to its certificate.")
      }
    } catch let problem as InputProblem {
      throw problem
    } catch {
      throw InputProblem(
        Reason.inputCertificateInvalid,
        "\(path) cannot be used: \(error). An RSA certificate and key in PEM are needed.")
    }
  }

  static func publicKeyDER(_ certificate: Certificate) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(certificate.publicKey)
    return serializer.serializedBytes
  }

  static func block(_ text: String, kind: String) -> String? {
    guard let start = text.range(of: "-----BEGIN \(kind)-----"),
      let end = text.range(of: "-----END \(kind)-----", range: start.upperBound..<text.endIndex)
    else { return nil }
    return String(text[start.lowerBound..<end.upperBound])
  }

  /// A client assertion (RFC 7523) for `audience` (the token endpoint URL).
  public func assertion(clientID: String, audience: String, now: Date = Date()) throws -> String {
    let header: [String: JSONValue] = [
      "alg": .string("RS256"), "typ": .string("JWT"), "x5t#S256": .string(thumbprintS256),
    ]
    let issued = Int(now.timeIntervalSince1970)
    let claims: [String: JSONValue] = [
      "aud": .string(audience), "iss": .string(clientID), "sub": .string(clientID),
      "jti": .string(UUID().uuidString.lowercased()), "nbf": .number(Double(issued)),
      "iat": .number(Double(issued)), "exp": .number(Double(issued + 600)),
    ]
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let signingInput =
      TokenClaims.base64URLEncode(try encoder.encode(header)) + "."
      + TokenClaims.base64URLEncode(try encoder.encode(claims))
    let signature = try key.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
    return signingInput + "." + TokenClaims.base64URLEncode(signature.rawRepresentation)
  }
}

/// The credential a check run authenticates with.
public enum Credential: Sendable {
  case secret(Secret)
  case certificate(CertificateCredential)
  case none
}
