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
