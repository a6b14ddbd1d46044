import Foundation
import Testing

@testable import S2SDoctorCore

@Suite struct InputValidationTests {
  @Test func serverURLIsNormalisedOrNamedWithItsFix() throws {
    for raw in [
      "https://bc.contoso.com:7048/BC", " https://bc.contoso.com:7048/BC/ ", "https://bc.contoso.com:7048/BC/ODataV4/",
    ] {
      #expect(try InputValidation.serverURL(raw).get() == "https://bc.contoso.com:7048/BC")
    }
    for raw in ["http://bc.contoso.com:7048/BC", "bc.contoso.com:7048/BC", "https://bc.contoso.com:7048/", ""] {
      guard case .failure(let problem) = InputValidation.serverURL(raw) else {
        Issue.record("\(raw) was accepted")
        continue
      }
      #expect(problem.reason == "input.server-url-invalid")
      #expect(problem.detail.contains("https://"), "the message shows the expected form")
    }
  }

  @Test func certificateFileNeedsTheCertificateAndItsKey() throws {
    let folder = NSTemporaryDirectory() + "s2s-cert-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    let key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
    let cases: [(String, String?, String?)] = [
      ("both.pem", certificate + key, nil), ("cert-only.pem", certificate, "no private key"),
      ("key-only.pem", key, "no PEM certificate"), ("missing.pem", nil, "Cannot read"),
    ]
    for (name, contents, problem) in cases {
      let path = folder + "/" + name
      if let contents { #expect(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8))) }
      switch InputValidation.certificateFile(path) {
      case .success(let resolved):
        #expect(problem == nil, "\(name) was accepted")
        #expect(resolved == path)
      case .failure(let found):
        #expect(found.reason == "input.certificate-invalid")
        #expect(problem.map { found.detail.contains($0) } == true, "\(name): \(found.detail)")
      }
    }
  }
}
