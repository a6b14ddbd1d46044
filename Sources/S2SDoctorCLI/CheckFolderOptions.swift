import ArgumentParser
import Foundation
import S2SDoctorCore

/// Check folders added at run time: `--checks DIR` (repeatable) and the user's checks folder.
struct CheckFolderOptions: ParsableArguments {
  @Option(
    name: .customLong("checks"),
    help: ArgumentHelp(
      "Add the checks in this folder (a check folder, or a folder of them); repeatable.",
      discussion: "Checks in $XDG_CONFIG_HOME/s2s-doctor/checks are added too. See Checks/README.md.",
      valueName: "dir"))
  var folders: [String] = []

  /// The built-in catalogue with the user's and the given check folders; a bad folder is a usage error.
  func catalogue(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Catalogue {
    var all: [String] = []
    let user = Catalogue.userChecksFolder(environment: environment)
    if FileManager.default.fileExists(atPath: user) {
      do {
        try SafeFile.requirePrivate(user)
      } catch {
        throw ValidationError("\(error)")
      }
      if !((try? FileManager.default.contentsOfDirectory(atPath: user)) ?? []).isEmpty { all.append(user) }
    }
    all += folders
    guard !all.isEmpty else { return .builtIn }
    do {
      return try Catalogue.builtIn.adding(checkFolders: all)
    } catch {
      throw ValidationError("a check folder is invalid: \(error)")
    }
  }
}
