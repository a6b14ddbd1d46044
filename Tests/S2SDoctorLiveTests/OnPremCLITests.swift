import Foundation
import S2SDoctorOnPrem
import Testing

@Suite struct OnPremCLITests {
  @Test(arguments: [
    ("malformed.config", "<appSettings>\n  <add key=\"ValidAudiences\" value=\"x\"\n", ":2:"),
    ("empty.config", "", ":1:"),
    (
      "iis.config", "<configuration><system.webServer><handlers/></system.webServer></configuration>\n",
      "not a Business Central server configuration"
    ),
  ])
  func unusableServerConfigurationIsAUsageError(_ name: String, _ contents: String, _ expected: String) async throws {
    let home = temporaryHome()
    let path = home + "/" + name
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    let r = try await Binary.run(
      [
        "check", "--deployment", "onprem", "--bc-url", "https://127.0.0.1:9/BC", "--tenant", "contoso.onmicrosoft.com",
        "--client-id", "11111111-2222-3333-4444-555555555555", "--server-config", path,
      ], home: home)
    #expect(r.status == 64)
    #expect(r.stderr.contains(path), "the message names the file: \(r.stderr)")
    #expect(r.stderr.contains(expected), "\(r.stderr)")
  }
}
