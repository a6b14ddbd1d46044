import HTTPTypes
import HummingbirdCore
import NIOCore

/// One HTTP response, built completely before anything is written.
struct Reply: Sendable {
  /// How the bytes go out.
  enum Delivery: Sendable {
    /// Head, body and end in one write (one flush): the normal case.
    case whole
    /// The head after `headDelay`, then the body one byte per `interval`.
    ///
    /// The head is held back too because many clients (AsyncHTTPClient among them) apply their
    /// deadline to the response head only; a body-only drip would keep them waiting for minutes.
    case drip(headDelay: Duration, interval: Duration)
    /// The head (announcing the whole body), half the body, then the connection is closed.
    case cutOff
    /// `chunk` repeated until `total` bytes were written.
    case repeated(chunk: ByteBuffer, total: Int)
  }

  var status: HTTPResponse.Status
  var headers: HTTPFields
  var body: ByteBuffer
  var delivery: Delivery = .whole
  /// Seconds added to the `Date` header (the clock-skew scenario).
  var dateOffset = 0

  init(status: Int, headers: HTTPFields = [:], body: String) {
    self.status = HTTPResponse.Status(code: status)
    self.headers = headers
    self.body = ByteBuffer(string: body)
  }

  init(status: Int, headers: HTTPFields = [:], body: ByteBuffer) {
    self.status = HTTPResponse.Status(code: status)
    self.headers = headers
    self.body = body
  }
}

extension HTTPField.Name {
  static let msRequestID = custom("x-ms-request-id")
  static let msESTSServer = custom("x-ms-ests-server")
  static let clientRequestID = custom("client-request-id")
  static let pragma = custom("Pragma")
  static let odataVersion = custom("OData-Version")
  static let msCorrelationX = custom("ms-correlation-x")
  static let requestID = custom("request-id")

  private static func custom(_ name: String) -> HTTPField.Name {
    guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
    return field
  }
}

/// Writes replies to Hummingbird's response writer.
enum ReplyWriter {
  static func write(
    _ reply: Reply, date: String, to writer: consuming ResponseWriter, channel: any Channel,
    isStopping: @escaping @Sendable () -> Bool
  ) async throws {
    var head = HTTPResponse(status: reply.status, headerFields: reply.headers)
    head.headerFields[.date] = date
    switch reply.delivery {
    case .whole:
      head.headerFields[.contentLength] = String(reply.body.readableBytes)
      // ByteBuffer bodies go out as one batched write: head, body and end in one flush.
      try await writer.write(response: head, body: ResponseBody(byteBuffer: reply.body))

    case .drip(let headDelay, let interval):
      head.headerFields[.contentLength] = String(reply.body.readableBytes)
      var waited = Duration.zero
      while waited < headDelay {
        if isStopping() || !channel.isActive {
          try? await channel.close()
          return
        }
        try await Task.sleep(for: .milliseconds(100))
        waited += .milliseconds(100)
      }
      var bodyWriter = try await writer.writeHead(head)
      var body = reply.body
      while let byte = body.readSlice(length: 1) {
        if isStopping() || Task.isCancelled || !channel.isActive {
          try? await channel.close()
          return
        }
        try await bodyWriter.write(byte)
        try await Task.sleep(for: interval)
      }
      try await bodyWriter.finish(nil)

    case .cutOff:
      head.headerFields[.contentLength] = String(reply.body.readableBytes)
      head.headerFields[.connection] = "close"
      var bodyWriter = try await writer.writeHead(head)
      var body = reply.body
      if let half = body.readSlice(length: body.readableBytes / 2) {
        try await bodyWriter.write(half)
      }
      // Let the half body reach the socket before the connection goes away.
      try await Task.sleep(for: .milliseconds(50))
      try? await channel.close()

    case .repeated(let chunk, let total):
      head.headerFields[.contentLength] = String(total)
      var bodyWriter = try await writer.writeHead(head)
      var written = 0
      while written < total {
        if isStopping() || !channel.isActive {
          try? await channel.close()
          return
        }
        var piece = chunk
        if total - written < piece.readableBytes {
          piece = piece.getSlice(at: piece.readerIndex, length: total - written) ?? piece
        }
        written += piece.readableBytes
        try await bodyWriter.write(piece)
      }
      try await bodyWriter.finish(nil)
    }
  }
}
