import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// The one line index and text decoder every reader of hostile text shares (the byte search is
// Core's `ByteSearch`).

// MARK: - line numbers

/// Offsets of line starts, for turning a byte offset into a 1-based line number.
struct LineIndex {
  private var starts: [Int] = [0]

  init(_ bytes: [UInt8]) {
    starts = [0] + ByteSearch.offsets(of: 0x0A, in: bytes).map { $0 + 1 }
  }

  func line(at offset: Int) -> Int {
    var low = 0
    var high = starts.count
    while low < high {
      let mid = (low + high) / 2
      if starts[mid] <= offset { low = mid + 1 } else { high = mid }
    }
    return max(low, 1)
  }
}

// MARK: - text decoding

enum TextDecoding {
  /// Turns file bytes into text, or throws for binary data.
  static func decode(_ bytes: [UInt8], file: String) throws(ServerConfiguration.ParseError) -> String {
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
      return try utf8OrLegacy(Array(bytes.dropFirst(3)), file: file)
    }
    if bytes.starts(with: [0xFF, 0xFE]) { return utf16(bytes.dropFirst(2), bigEndian: false) }
    if bytes.starts(with: [0xFE, 0xFF]) { return utf16(bytes.dropFirst(2), bigEndian: true) }
    // UTF-16 without a byte order mark: ASCII text with every other byte zero.
    if bytes.count >= 4 {
      let sample = bytes.prefix(512)
      let evenZeros = stride(from: 0, to: sample.count, by: 2).filter { sample[$0] == 0 }.count
      let oddZeros = stride(from: 1, to: sample.count, by: 2).filter { sample[$0] == 0 }.count
      let half = sample.count / 2
      if oddZeros * 10 >= half * 9 && evenZeros == 0 { return utf16(bytes[...], bigEndian: false) }
      if evenZeros * 10 >= half * 9 && oddZeros == 0 { return utf16(bytes[...], bigEndian: true) }
    }
    return try utf8OrLegacy(bytes, file: file)
  }

  private static func utf8OrLegacy(_ bytes: [UInt8], file: String) throws(ServerConfiguration.ParseError) -> String {
    // Control characters other than tab, CR, LF and form feed mean binary data.
    let control = bytes.withUnsafeBufferPointer { buffer -> Int? in
      for i in 0..<buffer.count {
        let b = buffer[i]
        if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C { return i }
      }
      return nil
    }
    if let offset = control {
      let line = ByteSearch.offsets(of: 0x0A, in: bytes, before: offset).count + 1
      throw ServerConfiguration.ParseError(
        file: file, line: line,
        message: String(
          format: "binary data (byte 0x%02X), not a text file: this is not a server configuration", bytes[offset]),
        kind: .binary)
    }
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    // Windows-1252 (CustomSettings.config saved by an ANSI editor).
    return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar(cp1252($0)) ?? "\u{FFFD}" }))
  }

  private static func cp1252(_ byte: UInt8) -> UInt32 {
    let table: [UInt32] = [
      0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
      0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
      0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]
    if byte >= 0x80 && byte < 0xA0 { return table[Int(byte - 0x80)] }
    return UInt32(byte)
  }

  static func utf16(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> String {
    var units: [UInt16] = []
    units.reserveCapacity(bytes.count / 2)
    var index = bytes.startIndex
    while index + 1 < bytes.endIndex {
      let a = UInt16(bytes[index])
      let b = UInt16(bytes[index + 1])
      units.append(bigEndian ? (a << 8 | b) : (b << 8 | a))
      index += 2
    }
    return String(decoding: units, as: UTF16.self)
  }
}
