import ArgumentParser
import Foundation
import S2SDoctorCore

/// The root command: `s2s-doctor <subcommand>`.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct S2SDoctorCommand: AsyncParsableCommand {
  public static let version = "0.1.0"

  public static let configuration = CommandConfiguration(
    commandName: "s2s-doctor",
    abstract: "Set up and diagnose Business Central service-to-service (S2S) authentication.",
    discussion: """
      Exit codes: 0 nothing failed (warnings allowed) · 1 a check failed · 2 could not test · \
      3 nothing to diagnose (explain) · 64 usage error · 130 interrupted.
      """,
    version: version,
    subcommands: [
      Setup.self, Check.self, Fix.self, Explain.self, ListChecks.self, Report.self, Export.self,
      ConsentURL.self, Fleet.self, ProfileCommand.self, Emulate.self, Demo.self,
      CorpusCommand.self,
    ]
  )

  public init() {}
}

extension S2SDoctorCommand {
  /// Parses and runs like `main()`, except that a usage error a subcommand raises while running
  /// (`check` with nothing to check, `demo --scenarios nosuch`) shows that subcommand's usage,
  /// not the root's.
  public static func runAsTool(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async {
    let command: ParsableCommand
    do {
      command = try parseAsRoot(arguments)
    } catch {
      exit(withError: error)
    }
    do {
      if var asynchronous = command as? AsyncParsableCommand {
        try await asynchronous.run()
      } else {
        var synchronous = command
        try synchronous.run()
      }
    } catch let error as ValidationError {
      let subcommand = type(of: command)
      let name = subcommand == Self.self ? nil : path(to: subcommand)
      FileHandle.standardError.write(
        Data(
          """
          Error: \(error.message)
          Usage: \(usageString(for: subcommand))
            See 's2s-doctor \(name.map { $0 + " " } ?? "")--help' for more information.

          """.utf8))
      Foundation.exit(ExitStatus.usage.rawValue)
    } catch {
      exit(withError: error)
    }
  }

  /// `check`, `export http`: the words after `s2s-doctor` that name `subcommand`.
  static func path(to subcommand: ParsableCommand.Type) -> String? {
    func search(_ type: ParsableCommand.Type, _ trail: [String]) -> [String]? {
      for child in type.configuration.subcommands {
        let name = child.configuration.commandName ?? String(describing: child).lowercased()
        if child == subcommand { return trail + [name] }
        if let found = search(child, trail + [name]) { return found }
      }
      return nil
    }
    return search(Self.self, []).map { $0.joined(separator: " ") }
  }
}
