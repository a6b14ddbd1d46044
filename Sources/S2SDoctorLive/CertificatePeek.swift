import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import X509

/// After a TLS failure, reads the certificate the server presented (without trusting it or
/// sending anything over the connection) so the finding can name its subject and issuer: that
/// is how an admin recognises a TLS-inspecting proxy ("issued by Zscaler Root CA") or a wrong
/// host, where the library's own error names only a BoringSSL code.
enum CertificatePeek {
  /// What the server's leaf certificate says about itself.
  struct Presented: Sendable, Equatable {
    var subject: String
    var issuer: String
    var dnsNames: [String]
    var notValidBefore: Date
    var notValidAfter: Date
    var selfSigned: Bool

    /// One sentence for a finding's detail.
    func sentence(now: Date = Date()) -> String {
      var text = "the server presented a certificate for \(Self.clip(subject)) issued by \(Self.clip(issuer))"
      if selfSigned { text += " (self-signed)" }
      if !dnsNames.isEmpty {
        let shown = dnsNames.prefix(3).map(Self.clip).joined(separator: ", ")
        text += ", names \(shown)\(dnsNames.count > 3 ? " and \(dnsNames.count - 3) more" : "")"
      }
      let format = ISO8601DateFormatter()
      if now > notValidAfter {
        text += ", expired \(format.string(from: notValidAfter))"
      } else if now < notValidBefore {
        text += ", not valid before \(format.string(from: notValidBefore))"
      }
      return text
    }

    /// Certificate text comes from the server: kept short and printable.
    static func clip(_ text: String) -> String {
      let printable = String(
        String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
      return printable.count > 120 ? String(printable.prefix(119)) + "…" : printable
    }

    init(
      subject: String, issuer: String, dnsNames: [String], notValidBefore: Date, notValidAfter: Date,
      selfSigned: Bool
    ) {
      self.subject = subject
      self.issuer = issuer
      self.dnsNames = dnsNames
      self.notValidBefore = notValidBefore
      self.notValidAfter = notValidAfter
      self.selfSigned = selfSigned
    }

    init(_ certificate: Certificate) {
      subject = certificate.subject.description
      issuer = certificate.issuer.description
      selfSigned = certificate.subject == certificate.issuer
      notValidBefore = certificate.notValidBefore
      notValidAfter = certificate.notValidAfter
      var dns: [String] = []
      if let names = try? certificate.extensions.subjectAlternativeNames {
        for case .dnsName(let name) in names { dns.append(name) }
      }
      dnsNames = dns
    }
  }

  /// A proxy to tunnel through with CONNECT, as the HTTP client would.
  struct Proxy: Sendable {
    var host: String
    var port: Int
    var authorization: String?
  }

  /// The leaf certificate `host:port` presents, or nil when none could be read within `timeout`.
  static func presented(host: String, port: Int, via proxy: Proxy?, timeout: Double) async -> Presented? {
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.certificateVerification = .fullVerification  // replaced by the callback below
    guard let context = try? NIOSSLContext(configuration: configuration) else { return nil }
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let result = Outcome(loop.makePromise(of: [NIOSSLCertificate].self))
    let serverName = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
    @Sendable func tlsHandler() throws -> NIOSSLClientHandler {
      try NIOSSLClientHandler(context: context, serverHostname: serverName) { chain, verdict in
        result.finish(.success(chain))
        verdict.succeed(NIOSSLVerificationResult.failed)  // nothing is sent over a connection nobody verified
      }
    }
    let bootstrap = ClientBootstrap(group: loop)
      .connectTimeout(.milliseconds(Int64(timeout * 1000)))
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          if let proxy {
            try channel.pipeline.syncOperations.addHandler(
              TunnelHandler(target: "\(host):\(port)", authorization: proxy.authorization, result: result) {
                try tlsHandler()
              })
          } else {
            try channel.pipeline.syncOperations.addHandler(try tlsHandler())
          }
          try channel.pipeline.syncOperations.addHandler(Watcher(result: result))
        }
      }
    let timer = loop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
      result.finish(.failure(ChannelError.connectTimeout(.milliseconds(Int64(timeout * 1000)))))
    }
    let channel: (any Channel)?
    do {
      channel = try await bootstrap.connect(host: proxy?.host ?? host, port: proxy?.port ?? port).get()
    } catch {
      channel = nil
      result.finish(.failure(error))
    }
    let chain = try? await result.promise.futureResult.get()
    timer.cancel()
    try? await channel?.close()
    guard let leaf = chain?.first, let certificate = try? Certificate(derEncoded: leaf.toDERBytes()) else {
      return nil
    }
    return Presented(certificate)
  }

  /// Completes the promise once, whoever gets there first.
  final class Outcome: Sendable {
    let promise: EventLoopPromise<[NIOSSLCertificate]>
    private let done = Mutex(false)
    init(_ promise: EventLoopPromise<[NIOSSLCertificate]>) { self.promise = promise }
    func finish(_ value: Result<[NIOSSLCertificate], any Error>) {
      guard
        done.withLock({ done in
          defer { done = true }; return !done
        })
      else { return }
      promise.completeWith(value)
    }
  }

  /// Ends the wait when the connection fails or closes before a certificate arrived.
  final class Watcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = Any
    let result: Outcome
    init(result: Outcome) { self.result = result }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      result.finish(.failure(error))
      context.close(promise: nil)
    }
    func channelInactive(context: ChannelHandlerContext) {
      result.finish(.failure(ChannelError.ioOnClosedChannel))
    }
  }

  /// Opens a CONNECT tunnel through the proxy, then hands the connection to TLS.
  final class TunnelHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let target: String
    let authorization: String?
    let result: Outcome
    let makeTLS: @Sendable () throws -> NIOSSLClientHandler
    private var head = ""

    init(
      target: String, authorization: String?, result: Outcome,
      makeTLS: @escaping @Sendable () throws -> NIOSSLClientHandler
    ) {
      self.target = target
      self.authorization = authorization
      self.result = result
      self.makeTLS = makeTLS
    }

    func channelActive(context: ChannelHandlerContext) {
      var request = "CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n"
      if let authorization { request += "Proxy-Authorization: \(authorization)\r\n" }
      request += "\r\n"
      context.writeAndFlush(NIOAny(ByteBuffer(string: request)), promise: nil)
      context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var buffer = unwrapInboundIn(data)
      head += buffer.readString(length: buffer.readableBytes) ?? ""
      guard head.contains("\r\n\r\n") || head.count > 16_384 else { return }
      let status = head.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init)
      guard status == "200" else {
        result.finish(.failure(ChannelError.inappropriateOperationForState))
        context.close(promise: nil)
        return
      }
      do {
        try context.pipeline.syncOperations.addHandler(try makeTLS(), position: .after(self))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
      } catch {
        result.finish(.failure(error))
        context.close(promise: nil)
      }
    }
  }
}
