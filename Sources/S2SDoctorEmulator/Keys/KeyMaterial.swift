import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509
import _CryptoExtras

/// A v3 certificate valid from an hour before `now` for `days`: every certificate the emulator
/// makes differs only in its names, keys, algorithm and extensions.
func emulatorCertificate(
  key: Certificate.PublicKey, issuer: DistinguishedName, subject: DistinguishedName, now: Date, days: Double,
  algorithm: Certificate.SignatureAlgorithm, signer: Certificate.PrivateKey,
  @ExtensionsBuilder extensions: () throws -> Result<Certificate.Extensions, any Error>
) throws -> Certificate {
  try Certificate(
    version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key,
    notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(days * 86400),
    issuer: issuer, subject: subject, signatureAlgorithm: algorithm,
    extensions: try Certificate.Extensions(builder: extensions), issuerPrivateKey: signer)
}

/// The emulator's TLS identity: a throwaway CA and a loopback leaf it signed.
struct TLSIdentity: Sendable {
  /// The CA certificate in PEM, for the clients' trust store.
  let caPEM: String
  let leafDER: [UInt8]
  let leafKeyPEM: String

  /// Creates a P-256 CA (`basicConstraints CA:TRUE`) and a leaf for `127.0.0.1`, `::1` and
  /// `localhost`.
  static func generate(now: Date = Date()) throws -> TLSIdentity {
    let caKey = P256.Signing.PrivateKey()
    let caName = try DistinguishedName {
      OrganizationName("S2S Doctor emulator")
      CommonName("S2S Doctor emulator test CA")
    }
    let caPublic = Certificate.PublicKey(caKey.publicKey)
    let caKeyID = Array(Insecure.SHA1.hash(data: caKey.publicKey.x963Representation))
    let ca = try emulatorCertificate(
      key: caPublic, issuer: caName, subject: caName, now: now, days: 30, algorithm: .ecdsaWithSHA256,
      signer: Certificate.PrivateKey(caKey)
    ) {
      Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
      Critical(KeyUsage(keyCertSign: true, cRLSign: true))
      SubjectKeyIdentifier(keyIdentifier: ArraySlice(caKeyID))
    }

    let leafKey = P256.Signing.PrivateKey()
    let leafName = try DistinguishedName {
      OrganizationName("S2S Doctor emulator")
      CommonName("localhost")
    }
    let loopbackV6: [UInt8] = Array(repeating: 0, count: 15) + [1]
    let leaf = try emulatorCertificate(
      key: Certificate.PublicKey(leafKey.publicKey), issuer: caName, subject: leafName, now: now, days: 30,
      algorithm: .ecdsaWithSHA256, signer: Certificate.PrivateKey(caKey)
    ) {
      Critical(BasicConstraints.notCertificateAuthority)
      Critical(KeyUsage(digitalSignature: true))
      try ExtendedKeyUsage([.serverAuth])
      SubjectAlternativeNames([
        .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
        .ipAddress(ASN1OctetString(contentBytes: ArraySlice(loopbackV6))),
        .dnsName("localhost"),
      ])
      AuthorityKeyIdentifier(keyIdentifier: ArraySlice(caKeyID))
    }

    return TLSIdentity(
      caPEM: try ca.serializeAsPEM().pemString + "\n",
      leafDER: try DERBytes.of(leaf),
      leafKeyPEM: leafKey.pemRepresentation)
  }

  /// A NIOSSL server configuration presenting the leaf (HTTP/1.1 only).
  func serverConfiguration() throws -> TLSConfiguration {
    var configuration = TLSConfiguration.makeServerConfiguration(
      certificateChain: [.certificate(try NIOSSLCertificate(bytes: leafDER, format: .der))],
      privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(leafKeyPEM.utf8), format: .pem)))
    configuration.applicationProtocols = ["http/1.1"]
    // On stop, idle keep-alive connections are closed; clients that sit in a pool never answer
    // close_notify, so do not wait NIOSSL's default 5 s for it.
    configuration.shutdownTimeout = .milliseconds(250)
    return configuration
  }
}

/// An RSA key with a self-signed certificate: the token signing key, or a client's certificate
/// credential.
struct RSACertificate: Sendable {
  let privateKey: _RSA.Signing.PrivateKey
  let publicKey: _RSA.Signing.PublicKey
  let der: [UInt8]
  /// `x5t`: base64url SHA-1 of the DER certificate (also the `kid` Entra ID uses).
  let sha1Thumbprint: String
  /// `x5t#S256`: base64url SHA-256 of the DER certificate.
  let sha256Thumbprint: String
  let sha1Digest: Data
  let sha256Digest: Data
  /// The certificate in PEM followed by its PKCS #8 private key in PEM.
  let combinedPEM: String

  static func generate(commonName: String, now: Date = Date()) throws -> RSACertificate {
    let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    let name = try DistinguishedName { CommonName(commonName) }
    let certificate = try emulatorCertificate(
      key: Certificate.PublicKey(key.publicKey), issuer: name, subject: name, now: now, days: 365,
      algorithm: .sha256WithRSAEncryption, signer: Certificate.PrivateKey(key)
    ) {
      Critical(BasicConstraints.notCertificateAuthority)
      Critical(KeyUsage(digitalSignature: true))
    }
    let der = try DERBytes.of(certificate)
    let sha1 = Data(Insecure.SHA1.hash(data: der))
    let sha256 = Data(SHA256.hash(data: der))
    return RSACertificate(
      privateKey: key,
      publicKey: key.publicKey,
      der: der,
      sha1Thumbprint: Base64URL.encode(sha1),
      sha256Thumbprint: Base64URL.encode(sha256),
      sha1Digest: sha1,
      sha256Digest: sha256,
      combinedPEM: try certificate.serializeAsPEM().pemString + "\n"
        + key.pkcs8PEMRepresentation + "\n")
  }

  /// The public half, as a certificate credential of an app registration holds it.
  var verifying: VerifyingCertificate {
    VerifyingCertificate(
      publicKey: publicKey, der: der, sha1Thumbprint: sha1Thumbprint, sha1Digest: sha1Digest,
      sha256Digest: sha256Digest, notAfter: nil)
  }

  /// An RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature.
  func sign(_ input: some DataProtocol) throws -> Data {
    try privateKey.signature(for: SHA256.hash(data: Data(input)), padding: .insecurePKCS1v1_5)
      .rawRepresentation
  }

  /// The public half as a JWK (`kty`, `use`, `kid`, `x5t`, `n`, `e`, `x5c`) for the JWKS document.
  func jwkMembers() throws -> [(String, JSONText)] {
    let primitives = try publicKey.getKeyPrimitives()
    return [
      ("kty", .string("RSA")),
      ("use", .string("sig")),
      ("kid", .string(sha1Thumbprint)),
      ("x5t", .string(sha1Thumbprint)),
      ("n", .string(Base64URL.encode(primitives.modulus))),
      ("e", .string(Base64URL.encode(primitives.publicExponent))),
      ("x5c", .array([.string(Data(der).base64EncodedString())])),
    ]
  }
}

enum DERBytes {
  static func of(_ certificate: Certificate) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(certificate)
    return serializer.serializedBytes
  }
}

/// Every key the emulator needs, generated once per start.
struct KeyMaterial: Sendable {
  let tls: TLSIdentity?
  /// Signs access tokens; published in the JWKS.
  let tokenSigning: RSACertificate
  /// The certificate registered for the certificate scenarios, and given to `ok-certificate`.
  let clientCertificate: RSACertificate
  /// A certificate nobody registered (`entra.certificate-rejected` presents it).
  let rogueCertificate: RSACertificate

  static func generate(tls: Bool) throws -> KeyMaterial {
    KeyMaterial(
      tls: tls ? try TLSIdentity.generate() : nil,
      tokenSigning: try RSACertificate.generate(commonName: "accounts.emulator.invalid"),
      clientCertificate: try RSACertificate.generate(commonName: "S2S Doctor emulator client"),
      rogueCertificate: try RSACertificate.generate(commonName: "S2S Doctor emulator rogue client"))
  }
}

/// A certificate credential of an app registration: what verifies a client assertion.
struct VerifyingCertificate: Sendable {
  let publicKey: _RSA.Signing.PublicKey
  let der: [UInt8]
  let sha1Thumbprint: String
  let sha1Digest: Data
  let sha256Digest: Data
  /// The certificate's end, in seconds since 1970 (`nil`: the scenario decides).
  let notAfter: Int?

  /// Reads an uploaded certificate (`keyCredentials[].key`, DER); `nil` unless it is an RSA one.
  init?(der bytes: [UInt8]) {
    guard let certificate = try? Certificate(derEncoded: bytes),
      let key = _RSA.Signing.PublicKey(certificate.publicKey)
    else { return nil }
    let sha1 = Data(Insecure.SHA1.hash(data: bytes))
    self.init(
      publicKey: key, der: bytes, sha1Thumbprint: Base64URL.encode(sha1), sha1Digest: sha1,
      sha256Digest: Data(SHA256.hash(data: bytes)), notAfter: Int(certificate.notValidAfter.timeIntervalSince1970))
  }

  init(
    publicKey: _RSA.Signing.PublicKey, der: [UInt8], sha1Thumbprint: String, sha1Digest: Data, sha256Digest: Data,
    notAfter: Int?
  ) {
    self.publicKey = publicKey
    self.der = der
    self.sha1Thumbprint = sha1Thumbprint
    self.sha1Digest = sha1Digest
    self.sha256Digest = sha256Digest
    self.notAfter = notAfter
  }
}
