import Foundation
import NIOSSL
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorLive

/// Which trust store the transport uses, and that a hashed folder (read lazily) really verifies.
@Suite struct TrustStoreTests {
  static func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "s2s-trust-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// `openssl x509 -subject_hash`: the file name OpenSSL-style stores look an issuer up by.
  /// Written to a file, not a pipe (no read can be interrupted by another test's signals), and
  /// waited for on a Dispatch thread, never on the cooperative pool the emulator needs.
  static func subjectHash(_ pem: String) async throws -> String {
    let out = try temporaryFolder() + "/hash.txt"
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
      DispatchQueue.global().async {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "openssl x509 -subject_hash -noout -in \"$1\" > \"$2\"", "sh", pem, out]
        do {
          try process.run()
          process.waitUntilExit()
          continuation.resume(returning: process.terminationStatus)
        } catch {
          continuation.resume(throwing: error)
        }
      }
    }
    let hash = (try? String(contentsOfFile: out, encoding: .utf8))?.trimmedWhitespace ?? ""
    try #require(
      status == 0 && HTTPTransport.isSubjectHashName(hash + ".0"),
      "openssl is needed for this test (apt-get install openssl); got '\(hash)'")
    return hash
  }

  @Test func subjectHashNames() {
    #expect(HTTPTransport.isSubjectHashName("0a1b2c3d.0"))
    #expect(HTTPTransport.isSubjectHashName("ca160286.12"))
    #expect(!HTTPTransport.isSubjectHashName("ca-certificates.crt"))
    #expect(!HTTPTransport.isSubjectHashName("0a1b2c3d.r0"))
    #expect(!HTTPTransport.isSubjectHashName("0a1b2c3.0"))
    #expect(!HTTPTransport.isSubjectHashName("0a1b2c3d"))
  }

  @Test func bundleInsideAHashedTrustedFolderIsNotParsedAgain() throws {
    let folder = try Self.temporaryFolder()
    #expect(FileManager.default.createFile(atPath: folder + "/bundle.crt", contents: Data()))
    let environment = ["SSL_CERT_DIR": "/nonexistent-first:" + folder, "SSL_CERT_FILE": folder + "/bundle.crt"]
    // Without hash links (Fedora's layout) the folder cannot replace its bundle.
    #expect(!HTTPTransport.isHashedFolder(folder))
    var (roots, extra) = try HTTPTransport.systemTrustRoots(environment)
    #expect(roots == .file(folder))
    #expect(extra == [.file(folder + "/bundle.crt")])
    // With them (Debian's layout) the bundle is not parsed again.
    #expect(FileManager.default.createFile(atPath: folder + "/0a1b2c3d.0", contents: Data()))
    #expect(HTTPTransport.isHashedFolder(folder))
    (roots, extra) = try HTTPTransport.systemTrustRoots(environment)
    #expect(roots == .file(folder))
    #expect(extra.isEmpty)
  }

  @Test func bundleElsewhereIsAddedToTheFolder() throws {
    let folder = try Self.temporaryFolder()
    let other = try Self.temporaryFolder() + "/corporate.pem"
    FileManager.default.createFile(atPath: other, contents: Data())
    let (roots, extra) = try HTTPTransport.systemTrustRoots(["SSL_CERT_DIR": folder, "SSL_CERT_FILE": other])
    #expect(roots == .file(folder))
    #expect(extra == [.file(other)])
  }

  @Test func missingTrustStoreIsNamedWithItsVariable() throws {
    #expect {
      _ = try HTTPTransport.systemTrustRoots(["SSL_CERT_FILE": "/nonexistent/ca.pem"])
    } throws: { error in
      let failure = error as? TransportFailure
      return failure?.reason == "network.tls-untrusted" && failure?.detail.contains("SSL_CERT_FILE") == true
    }
  }

  @Test func hashedFolderVerifiesTheServerAndAnEmptyOneDoesNot() async throws {
    let info = try await SharedEmulator.shared.start()
    let ca = try #require(info.caFile)
    let ok = try #require(info.scenarios["ok"])
    let tenant = try #require(ok.args.firstIndex(of: "--tenant").map { ok.args[$0 + 1] })
    let url = "\(info.baseURL)/\(tenant)/v2.0/.well-known/openid-configuration"

    let trusted = try Self.temporaryFolder()
    try FileManager.default.copyItem(atPath: ca, toPath: trusted + "/" + (try await Self.subjectHash(ca)) + ".0")
    let good = try HTTPTransport(caFile: nil, timeout: 30, environment: ["SSL_CERT_DIR": trusted])
    let status: Result<Int, TransportFailure>
    do { status = .success(try await good.send(HTTPRequest(url: url)).status) } catch {
      status = .failure(error as? TransportFailure ?? TransportFailure("?", "\(error)"))
    }
    await good.shutdown()
    #expect(try status.get() == 200)

    let empty = try Self.temporaryFolder()
    let bad = try HTTPTransport(caFile: nil, timeout: 30, environment: ["SSL_CERT_DIR": empty])
    let refused: TransportFailure?
    do {
      _ = try await bad.send(HTTPRequest(url: url))
      refused = nil
    } catch {
      refused = error as? TransportFailure
    }
    await bad.shutdown()
    #expect(refused?.reason == "network.tls-untrusted", "\(String(describing: refused))")
  }
}
