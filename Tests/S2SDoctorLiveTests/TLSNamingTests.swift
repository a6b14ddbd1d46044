import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorEmulator
@testable import S2SDoctorLive

/// Issue 14, point 10: a TLS failure names the certificate's subject and issuer (how an admin
/// recognises an inspecting proxy), not the TLS library's internals.
@Suite(.serialized) struct TLSNamingTests {
  @Test func anUntrustedServerIsNamedBySubjectAndIssuer() async throws {
    let server = try HostileServer(.throttled)
    defer { server.stop() }
    let home = temporaryHome()
    let result = try await Binary.run(
      [
        "check", "--tenant", "contoso.onmicrosoft.com", "--client-id", HostileServerTests.client,
        "--authority-host", server.url, "--bc-api-host", server.url, "--timeout", "3", "--format", "json",
      ], env: ["AZURE_CLIENT_SECRET": HostileServerTests.canary], home: home, limit: 30)
    let report = try #require(JSONValue.parse(Data(result.stdout.utf8)), "\(result.stderr)")
    let tenant = report["results"]?.array?.first { $0["check"]?.string == "entra.tenant" }
    #expect(tenant?["reason"]?.string == "network.tls-untrusted", "\(result.stdout)")
    let detail = tenant?["detail"]?.string ?? ""
    #expect(detail.contains("certificate for CN=localhost,O=S2S Doctor emulator"), "\(detail)")
    #expect(detail.contains("issued by CN=S2S Doctor emulator test CA,O=S2S Doctor emulator"), "\(detail)")
    #expect(!detail.contains("NIOSSL") && !detail.contains("handshakeFailed"), "library internals: \(detail)")
    // Nothing but the handshake reached the server: no request was read.
    #expect(server.requests.isEmpty, "\(server.requests.map(\.path))")
  }

  /// Through an explicit proxy the certificate is read inside the CONNECT tunnel, as the HTTP
  /// client sees it. The proxy here inspects: it answers CONNECT itself and terminates TLS with
  /// its own certificate, and never connects anywhere.
  @Test func theCertificateIsReadThroughAProxyTunnel() async throws {
    let proxy = try InspectingProxy()
    defer { proxy.stop() }
    let presented = try #require(
      await CertificatePeek.presented(
        host: "login.microsoftonline.com", port: 443,
        via: .init(host: "127.0.0.1", port: proxy.port, authorization: "Basic dXNlcjpwYXNz"), timeout: 5))
    #expect(presented.issuer == "CN=S2S Doctor emulator test CA,O=S2S Doctor emulator")
    #expect(presented.subject == "CN=localhost,O=S2S Doctor emulator")
    #expect(presented.dnsNames == ["localhost"])
    let connect = try #require(proxy.firstLine.withLock { $0 })
    #expect(connect == "CONNECT login.microsoftonline.com:443 HTTP/1.1")
    #expect(proxy.sawAuthorization.withLock { $0 })
    // The sentence an admin reads: the host it wanted, the name it got, who signed it.
    let failure = HTTPTransport.untrusted(
      target: "login.microsoftonline.com", presented: presented, library: "handshakeFailed(sslError: [])")
    #expect(failure.reason == "network.tls-untrusted")
    #expect(failure.detail.contains("the certificate is not for login.microsoftonline.com"), "\(failure.detail)")
    #expect(failure.detail.contains("issued by CN=S2S Doctor emulator test CA"), "\(failure.detail)")
  }

  @Test func nothingIsReadWhereNothingListens() async throws {
    let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .bind(host: "127.0.0.1", port: 0).get()
    let port = listener.localAddress?.port ?? 0
    try await listener.close()
    let started = Date()
    let presented = await CertificatePeek.presented(host: "127.0.0.1", port: port, via: nil, timeout: 2)
    #expect(presented == nil)
    #expect(Date().timeIntervalSince(started) < 4)
  }

  @Test func anExpiredOrSelfSignedCertificateSaysSo() {
    var presented = CertificatePeek.Presented(
      subject: "CN=bc.contoso.local", issuer: "CN=bc.contoso.local", dnsNames: ["bc.contoso.local"],
      notValidBefore: Date(timeIntervalSinceNow: -400 * 86_400), notValidAfter: Date(timeIntervalSinceNow: -86_400),
      selfSigned: true)
    let expired = HTTPTransport.untrusted(target: "bc.contoso.local:7048", presented: presented, library: "")
    #expect(expired.detail.contains("the certificate has expired"), "\(expired.detail)")
    #expect(expired.detail.contains("(self-signed)"))
    presented.notValidAfter = Date(timeIntervalSinceNow: 86_400)
    let selfSigned = HTTPTransport.untrusted(target: "bc.contoso.local:7048", presented: presented, library: "")
    #expect(selfSigned.detail.contains("the certificate is self-signed"), "\(selfSigned.detail)")
    // A hostile subject cannot reach the screen raw or at length.
    presented.subject = "CN=\u{1B}[31mred\u{202E}" + String(repeating: "x", count: 500)
    let sentence = presented.sentence()
    #expect(!sentence.contains("\u{1B}") && sentence.count < 400, "\(sentence)")
  }
}

/// A plain-TCP proxy that accepts CONNECT and then speaks TLS itself with the emulator's
/// loopback identity, the way a TLS-inspecting proxy does.
final class InspectingProxy: Sendable {
  let port: Int
  let firstLine = Mutex<String?>(nil)
  let sawAuthorization = Mutex(false)
  private let channel: any Channel

  init() throws {
    let identity = try TLSIdentity.generate()
    let context = try NIOSSLContext(
      configuration: .makeServerConfiguration(
        certificateChain: [.certificate(try NIOSSLCertificate(bytes: identity.leafDER, format: .der))],
        privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.leafKeyPEM.utf8), format: .pem))))
    let box = Unchecked<InspectingProxy?>(nil)
    channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(ConnectAnswerer(proxy: box, tls: context))
        }
      }
      .bind(host: "127.0.0.1", port: 0).wait()
    port = channel.localAddress?.port ?? 0
    box.value = self
  }

  func stop() { try? channel.close().wait() }

  final class ConnectAnswerer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let proxy: Unchecked<InspectingProxy?>
    let tls: NIOSSLContext
    var head = ""

    init(proxy: Unchecked<InspectingProxy?>, tls: NIOSSLContext) {
      self.proxy = proxy
      self.tls = tls
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var buffer = unwrapInboundIn(data)
      head += buffer.readString(length: buffer.readableBytes) ?? ""
      guard head.contains("\r\n\r\n") else { return }
      let lines = head.components(separatedBy: "\r\n")
      proxy.value?.firstLine.withLock { $0 = lines.first }
      proxy.value?.sawAuthorization.withLock {
        $0 = lines.contains { $0.lowercased().hasPrefix("proxy-authorization: basic ") }
      }
      context.writeAndFlush(
        NIOAny(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")), promise: nil)
      do {
        try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .after(self))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
      } catch {
        context.close(promise: nil)
      }
    }
  }
}
