import Foundation

extension Catalogue {
  /// The folder users add checks to without rebuilding: `$XDG_CONFIG_HOME/s2s-doctor/checks`
  /// (default `~/.config/s2s-doctor/checks`).
  public static func userChecksFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    ProfileStore.configFolder(environment: environment) + "/checks"
  }

  /// This catalogue with the checks of these folders added after the built-in ones, through the
  /// same strict loader. A folder is one check (it holds `check.yaml`) or holds check folders.
  /// Added checks use the catalogue's reasons and registered probes; they cannot run a program.
  public func adding(checkFolders folders: [String]) throws(CatalogueError) -> Catalogue {
    var checks = self.checks
    for folder in folders {
      for checkFolder in try Self.checkFolders(in: folder) {
        let path = checkFolder + "/check.yaml"
        let text: String
        do {
          text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
          throw CatalogueError(file: path, line: 0, message: "cannot read: \(error.localizedDescription)")
        }
        let object = try YAMLObject(try YAMLReader.rootMapping(text, file: path), file: path)
        let id = try object.string("id", required: true)
        guard Self.isValidID(id) else {
          throw CatalogueError(
            file: path, line: object.line(of: "id"), message: "check id '\(id)' is not of the form area.name")
        }
        if let existing = checks.first(where: { $0.id == id }) {
          throw CatalogueError(
            file: path, line: object.line(of: "id"),
            message: "check '\(id)' already exists (\(existing.origin ?? "built in"))")
        }
        var declaration = try Self.parseCheck(
          id: id, object, path: path, fixtures: Self.fixtures(in: checkFolder, id: id), reasons: reasons)
        declaration.origin = checkFolder
        for requirement in declaration.requires where !checks.contains(where: { $0.id == requirement }) {
          throw CatalogueError(
            file: path, line: object.line(of: "requires"),
            message: "prerequisite '\(requirement)' is not a built-in check or one added before this one")
        }
        for fixture in declaration.fixtures where fixture.expect != "passed" && reasons[fixture.expect] == nil {
          throw CatalogueError(
            file: fixture.file, line: 0, message: "fixture name '\(fixture.expect)' is neither 'passed' nor a reason id"
          )
        }
        checks.append(declaration)
      }
    }
    return Catalogue(checks: checks, reasons: reasons, reasonOrder: reasonOrder, links: links)
  }

  /// The check folders a `--checks` folder names, sorted: itself, or its subfolders with a check.yaml.
  static func checkFolders(in folder: String) throws(CatalogueError) -> [String] {
    var root = folder
    while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw CatalogueError(file: root, line: 0, message: "not a folder of checks")
    }
    if FileManager.default.fileExists(atPath: root + "/check.yaml") { return [root] }
    let children = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    let found = children.sorted().map { root + "/" + $0 }.filter {
      FileManager.default.fileExists(atPath: $0 + "/check.yaml")
    }
    guard !found.isEmpty else {
      throw CatalogueError(file: root, line: 0, message: "holds no check.yaml (nor folders that do)")
    }
    return found
  }

  static func fixtures(in folder: String, id: String) -> [Fixture] {
    let directory = folder + "/fixtures"
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    return names.compactMap { name in
      guard !name.hasPrefix("."), let contents = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)
      else { return nil }
      let stem = name.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
      return Fixture(
        expect: stem.components(separatedBy: "--").first ?? stem, file: "\(id)/fixtures/\(name)", contents: contents)
    }
  }
}

extension Catalogue {
  /// A fixture file's name part: letters, digits and '-'.
  public static func isFixtureName(_ name: String) -> Bool {
    !name.isEmpty && name.count <= 60 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
  }
}
