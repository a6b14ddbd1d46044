import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import S2SDoctorEmulator

@Suite("Faults and network scenarios")
struct FaultTests {
  static func tokenURL(_ name: String) async throws -> (String, [(String, String)]) {
    let args = ScenarioArguments(try await Shared.scenario(name).args)
    let authority = try #require(args["--authority-host"])
    let tenant = try #require(args["--tenant"])
    return (
      "\(authority)/\(tenant)/oauth2/v2.0/token",
      try await EntraTests.secretForm(name)
    )
  }

  @Test func refusedPortRefuses() async throws {
    let args = ScenarioArguments(try await Shared.scenario("network.connection-refused").args)
    let authority = try #require(args["--authority-host"])
    let port = try #require(Int(authority.split(separator: ":").last ?? ""))
    await #expect(throws: (any Error).self) {
      _ = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port).get()
    }
  }

  @Test func silentPortAcceptsAndNeverAnswers() async throws {
    let args = ScenarioArguments(try await Shared.scenario("network.timeout").args)
    #expect(args["--timeout"] == "1")
    let authority = try #require(args["--authority-host"])
    let port = try #require(Int(authority.split(separator: ":").last ?? ""))
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .connect(host: "127.0.0.1", port: port).get()
    #expect(channel.isActive)
    try await channel.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
    try await Task.sleep(for: .milliseconds(300))
    #expect(channel.isActive)
    try await channel.close()
  }

  @Test func htmlAndProxyAnswers() async throws {
    let (url, form) = try await Self.tokenURL("network.unexpected-response")
    let portal = try await TestHTTP.postForm(url, form)
    #expect(portal.status == 200)
    #expect(portal.header("Content-Type") == "text/html; charset=utf-8")
    #expect(portal.json == nil)

    let (badGatewayURL, badGatewayForm) = try await Self.tokenURL("fault.html-error-page")
    let badGateway = try await TestHTTP.postForm(badGatewayURL, badGatewayForm)
    #expect(badGateway.status == 502)
    #expect(badGateway.text.contains("502 Bad Gateway"))

    let (proxyURL, proxyForm) = try await Self.tokenURL("network.proxy-auth-required")
    let proxy = try await TestHTTP.postForm(proxyURL, proxyForm)
    #expect(proxy.status == 407)
    #expect(proxy.header("Proxy-Authenticate") != nil)
  }

  @Test func truncatedAndInvalidTokenResponses() async throws {
    let (url, form) = try await Self.tokenURL("fault.truncated-json")
    let truncated = try await TestHTTP.postForm(url, form)
    #expect(truncated.status == 200)
    #expect(truncated.json == nil)
    #expect(truncated.text.hasPrefix(#"{"token_type":"Bearer""#))

    let (invalidURL, invalidForm) = try await Self.tokenURL("fault.invalid-jwt")
    let invalid = try await TestHTTP.postForm(invalidURL, invalidForm)
    #expect(invalid.json?["access_token"] as? String == "not-a-jwt")
  }

  @Test func algNoneAndExpiredTokensAreIssued() async throws {
    let none = try await BusinessCentralTests.token("fault.alg-none")
    #expect(JWT.decode(none)?.header["alg"] as? String == "none")
    #expect(none.hasSuffix("."))
    let expired = try await BusinessCentralTests.token("fault.expired-token")
    let exp = try #require(JWT.decode(expired)?.claims["exp"] as? Int)
    #expect(exp < Int(Date().timeIntervalSince1970))
  }

  @Test func dripIsSlowerThanTheTimeout() async throws {
    let (url, form) = try await Self.tokenURL("fault.drip")
    let started = ContinuousClock.now
    await #expect(throws: (any Error).self) {
      _ = try await TestHTTP.postForm(url, form, timeout: 2)
    }
    #expect(ContinuousClock.now - started >= .seconds(1.5))
  }

  @Test func resetCutsTheBody() async throws {
    let (url, form) = try await Self.tokenURL("fault.reset")
    await #expect(throws: (any Error).self) {
      _ = try await TestHTTP.postForm(url, form)
    }
  }

  @Test func hugeBodyAnnouncesFiftyMegabytes() async throws {
    let token = try await BusinessCentralTests.token("fault.huge-body")
    let client = try await Shared.client()
    var request = HTTPClientRequest(url: try await BusinessCentralTests.companiesURL())
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    let response = try await client.execute(request, timeout: .seconds(10))
    #expect(response.status.code == 200)
    #expect(response.headers.first(name: "Content-Length") == String(50 * 1024 * 1024))
    await #expect(throws: (any Error).self) { _ = try await response.body.collect(upTo: 1 << 20) }
  }

  @Test func everyResponseHasADateAndSkewedClientsAreAhead() async throws {
    let (url, form) = try await Self.tokenURL("token.clock-skew")
    let skewed = try await TestHTTP.postForm(url, form)
    #expect(skewed.status == 200)
    let date = try #require(skewed.header("Date").flatMap(MiniCheck.httpDate))
    #expect(abs(date.timeIntervalSinceNow - 600) < 30)
    let token = try #require(skewed.json?["access_token"] as? String)
    let claims = try #require(JWT.decode(token)?.claims)
    #expect(abs((claims["iat"] as? Int ?? 0) - (Int(Date().timeIntervalSince1970) - 300)) < 30)

    let (okURL, okForm) = try await Self.tokenURL("ok")
    let normal = try await TestHTTP.postForm(okURL, okForm)
    let okDate = try #require(normal.header("Date").flatMap(MiniCheck.httpDate))
    #expect(abs(okDate.timeIntervalSinceNow) < 30)
  }
}
