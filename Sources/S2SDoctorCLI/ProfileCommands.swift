import ArgumentParser
import Foundation
import S2SDoctorCore

/// `s2s-doctor profile list|show` — saved registrations (never with a secret).
struct ProfileCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "profile", abstract: "List, show or delete saved profiles (they never hold a secret).",
    subcommands: [List.self, Show.self, Delete.self, Stress.self])

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List saved profiles.")
    func run() throws {
      let store = ProfileStore()
      let names = store.list()
      Output.out(
        names.isEmpty
          ? "No profiles in \(store.directory). Create one with `s2s-doctor setup`.\n"
          : names.joined(separator: "\n") + "\n")
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a saved profile as JSON.")
    @Argument(help: "Profile name.") var name: String
    func run() throws {
      do {
        Output.out(Output.encodeJSON(try ProfileStore().load(name)))
      } catch let error as StoreError {
        throw ValidationError(error.description)
      }
    }
  }

  struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "delete", abstract: "Delete a saved profile.",
      discussion: "Example:\n  s2s-doctor profile delete contoso-prod")
    @Argument(help: "Profile name.") var name: String
    func run() throws {
      let store = ProfileStore()
      do {
        try store.delete(name)
      } catch let error as StoreError {
        throw ValidationError(error.description)
      }
      Output.out("Deleted profile \"\(name)\" (\(store.path(for: name))).\n")
    }
  }

  /// Test support: rewrites profiles in a loop (crash-safety and concurrency tests kill it).
  struct Stress: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_stress", shouldDisplay: false)
    @Option var prefix = "stress"
    @Option var count = 100
    @Option var rounds = 1
    func run() throws {
      let store = ProfileStore()
      for round in 0..<rounds {
        for index in 0..<count {
          var settings = ConnectionSettings()
          settings.tenant = "contoso.onmicrosoft.com"
          settings.clientID = UUID().uuidString.lowercased()
          settings.company = String(repeating: "x", count: 2000) + "-\(round)"
          try store.save(Profile(name: "\(prefix)-\(index)", settings: settings))
        }
      }
    }
  }
}
