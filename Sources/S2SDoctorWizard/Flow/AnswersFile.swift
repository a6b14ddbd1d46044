import Foundation
import S2SDoctorCore

/// The answers of a scripted `setup --answers FILE` run: one JSON object.
///
/// ```json
/// { "deployment": "online", "tenant": "contoso.onmicrosoft.com",
///   "clientId": "11111111-2222-3333-4444-555555555555", "credential": "secret",
///   "permissions": ["API.ReadWrite.All", "Automation.ReadWrite.All"],
///   "environment": "production", "company": "CRONUS USA, Inc.",
///   "saveProfile": true, "runChecks": true }
/// ```
///
/// The secret is never part of it: it comes from AZURE_CLIENT_SECRET, `--client-secret-file`
/// or `--client-secret-stdin`.
public struct AnswersFile: Sendable, Equatable {
  public var values: [Field: String] = [:]
  public var saveProfile: Bool?
  public var runChecks: Bool?

  public init(values: [Field: String] = [:], saveProfile: Bool? = nil, runChecks: Bool? = nil) {
    self.values = values
    self.saveProfile = saveProfile
    self.runChecks = runChecks
  }

  /// Keys of the file, by field.
  public static let keys: [String: Field] = [
    "deployment": .deployment, "tenant": .tenant, "clientId": .clientId,
    "credential": .credential, "certificate": .certificate, "permissions": .permissions,
    "redirectUri": .redirectUri, "environment": .environment, "bcUrl": .bcUrl,
    "company": .company,
  ]
  public static let flagKeys = ["saveProfile", "runChecks"]

  /// Every accepted key, in the order the wizard asks.
  public static var allKeys: [String] {
    [
      "deployment", "tenant", "clientId", "credential", "certificate", "permissions",
      "redirectUri", "environment", "bcUrl", "company", "saveProfile", "runChecks",
    ]
  }

  static let secretLikeKeys: Set<String> = [
    "secret", "clientsecret", "client_secret", "client-secret", "azure_client_secret", "password",
  ]

  public static func load(path: String) throws(AnswersFileError) -> AnswersFile {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw AnswersFileError(
        "Cannot read the answers file \(path). Check the path and its permissions.")
    }
    return try parse(data, name: path)
  }

  public static func parse(_ data: Data, name: String = "the answers file")
    throws(AnswersFileError) -> AnswersFile
  {
    guard let document = JSONValue.parse(data) else {
      throw AnswersFileError(
        "\(name) is not valid JSON. It must be one JSON object, e.g. {\"tenant\": \"contoso.onmicrosoft.com\"}."
      )
    }
    guard case .object(let object) = document else {
      throw AnswersFileError("\(name) must hold a JSON object ({…}), not \(kind(document)).")
    }
    var answers = AnswersFile()
    for key in object.keys.sorted() {
      let value = object[key]!
      if secretLikeKeys.contains(key.lowercased()) {
        throw AnswersFileError(
          "\(name): the key \"\(key)\" is refused: a secret does not belong in an answers file. Set AZURE_CLIENT_SECRET, or pass --client-secret-file FILE or --client-secret-stdin."
        )
      }
      if key == "saveProfile" || key == "runChecks" {
        guard case .bool(let flag) = value else {
          throw AnswersFileError("\(name): \"\(key)\" must be true or false, not \(kind(value)).")
        }
        if key == "saveProfile" { answers.saveProfile = flag } else { answers.runChecks = flag }
        continue
      }
      guard let field = keys[key] else {
        throw AnswersFileError(
          "\(name): unknown key \"\(key)\". Known keys: \(allKeys.joined(separator: ", ")).")
      }
      switch (field, value) {
      case (_, .null):
        continue
      case (.permissions, .array(let items)):
        var names: [String] = []
        for item in items {
          guard case .string(let text) = item else {
            throw AnswersFileError(
              "\(name): \"permissions\" must be an array of strings such as [\"API.ReadWrite.All\"]."
            )
          }
          names.append(text)
        }
        answers.values[field] = names.isEmpty ? "none" : names.joined(separator: ", ")
      case (_, .string(let text)):
        answers.values[field] = text
      default:
        throw AnswersFileError("\(name): \"\(key)\" must be a string, not \(kind(value)).")
      }
    }
    return answers
  }

  private static func kind(_ value: JSONValue) -> String {
    switch value {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }
}

public struct AnswersFileError: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
