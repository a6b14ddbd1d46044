import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorOnPrem

/// The files of `Checks/`, as the loader reads them.
let checksFiles: [(path: String, contents: String)] = {
  do {
    return try Catalogue.files(in: repositoryRoot.appendingPathComponent("Checks"))
  } catch {
    fatalError("Checks/ cannot be read: \(error)")
  }
}()

/// The catalogue as `Checks/` holds it, fixtures included (the binary embeds none).
let checksOnDisk: Catalogue = {
  do {
    return try Catalogue.load(directory: repositoryRoot.appendingPathComponent("Checks"))
  } catch {
    fatalError("Checks/ does not load: \(error)")
  }
}()

/// A fixture of `Checks/onprem.server-config/fixtures` or `Checks/onprem.server-log/fixtures`.
struct OnPremFixture: CustomTestStringConvertible, Sendable {
  var check: String
  var file: String
  var expect: String
  var path: String { repositoryRoot.appendingPathComponent("Checks/\(file)").path }
  var testDescription: String { file }

  /// The configuration and log files; tapes (a recorded run, JSON with `exchanges`) are replayed
  /// by `CheckFixtureTests` instead.
  static func all(_ check: String) -> [OnPremFixture] {
    (checksOnDisk.check(check)?.fixtures ?? []).filter { !isTape($0.contents) }.map {
      OnPremFixture(check: check, file: $0.file, expect: $0.expect)
    }
  }

  static func isTape(_ text: String) -> Bool {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return false }
    return object["exchanges"] != nil && object["check"] != nil
  }
}

/// The context every server-config fixture is checked in (see the comment in its check.yaml).
enum OnPremContext {
  static let tenantID = "5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13"
  static let redirectURI = "https://bc.contoso.com/BC/OAuthLanding.htm"

  static func claims(aud: String = BusinessCentral.resource, tid: String = tenantID) -> TokenClaims {
    TokenClaims(
      header: ["alg": .string("RS256"), "typ": .string("JWT")],
      claims: [
        "aud": .string(aud), "tid": .string(tid), "iss": .string("https://sts.windows.net/\(tid)/"),
        "roles": .array([.string("API.ReadWrite.All")]), "ver": .string("1.0"),
      ])
  }

  static func settings(config: String? = nil, log: String? = nil) -> ConnectionSettings {
    var settings = ConnectionSettings()
    settings.deployment = .onprem
    settings.tenant = tenantID
    settings.clientID = "2a4b6c8d-1e3f-4a5b-8c7d-9e0f1a2b3c4d"
    settings.bcURL = "https://bc.contoso.com:7048/BC240"
    settings.redirectURI = redirectURI
    settings.serverConfig = config
    settings.serverLog = log
    return settings
  }
}

func onpremFixture(_ name: String) -> String { fixturesFolder("onprem").appendingPathComponent(name).path }

@Suite struct ServerConfigurationTests {
  // MARK: catalogue fixtures

  @Test func fixturesExist() {
    #expect(OnPremFixture.all("onprem.server-config").count >= 10)
    #expect(OnPremFixture.all("onprem.server-log").count >= 6)
    // Every reason of the config check a fixture can produce is covered, plus the three formats.
    let names = OnPremFixture.all("onprem.server-config").map(\.file)
    for expect in [
      "passed", "onprem.audience-not-valid", "onprem.not-entra-auth", "onprem.metadata-tenant-mismatch",
      "onprem.api-disabled", "onprem.version-unsupported", "onprem.tenant-parameter-missing",
    ] {
      #expect(names.contains { $0.contains("/\(expect)--") }, "no fixture for \(expect)")
    }
    #expect(names.contains { $0.hasSuffix(".json") } && names.contains { $0.hasSuffix(".txt") })
  }

  @Test(arguments: OnPremFixture.all("onprem.server-config"))
  func configFixtureGivesItsOutcome(_ fixture: OnPremFixture) throws {
    let outcome = ServerConfiguration.diagnose(
      settings: OnPremContext.settings(config: fixture.path), claims: OnPremContext.claims())
    if fixture.expect == "passed" {
      #expect(outcome.status == .passed, "\(fixture.file): \(outcome.reason ?? "") \(outcome.detail ?? "")")
    } else {
      #expect(outcome.status == .failed, "\(fixture.file): \(outcome.status) \(outcome.detail ?? "")")
      #expect(
        outcome.reason == fixture.expect, "\(fixture.file): got \(outcome.reason ?? "nil"): \(outcome.detail ?? "")")
    }
    // Every outcome shows what was read.
    let keys = outcome.evidence.map(\.key)
    for key in ["config.file", "config.format", "config.ValidAudiences", "config.ClientServicesCredentialType"] {
      #expect(keys.contains(key), "\(fixture.file): evidence lacks \(key)")
    }
    if let reason = outcome.reason {
      #expect(Catalogue.builtIn.check("onprem.server-config")?.reasons.contains(reason) == true)
    }
  }

  @Test(arguments: OnPremFixture.all("onprem.server-log"))
  func logFixtureGivesItsOutcome(_ fixture: OnPremFixture) {
    let outcome = ServerLog.diagnose(settings: OnPremContext.settings(log: fixture.path))
    if fixture.expect == "passed" {
      #expect(outcome.status == .passed, "\(fixture.file): \(outcome.reason ?? "") \(outcome.detail ?? "")")
    } else {
      #expect(outcome.status == .failed)
      #expect(
        outcome.reason == fixture.expect, "\(fixture.file): got \(outcome.reason ?? "nil"): \(outcome.detail ?? "")")
      #expect(outcome.evidence.contains { $0.key == "log.\(fixture.expect).first" })
      #expect(outcome.evidence.contains { $0.key == "log.\(fixture.expect).count" })
    }
  }

  // MARK: fix commands

  @Test func audienceFixNamesTheExactCommand() throws {
    let path = repositoryRoot.appendingPathComponent(
      "Checks/onprem.server-config/fixtures/onprem.audience-not-valid--customsettings.config"
    ).path
    let outcome = ServerConfiguration.diagnose(
      settings: OnPremContext.settings(config: path), claims: OnPremContext.claims())
    let detail = try #require(outcome.detail)
    #expect(
      detail.contains(
        #"Set-NAVServerConfiguration -ServerInstance BC240 -KeyName ValidAudiences -KeyValue "0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com""#
      ), "\(detail)")
    #expect(detail.contains("Restart-NAVServerInstance -ServerInstance BC240"))
  }

  @Test func audienceVariantIsNamed() throws {
    let path = repositoryRoot.appendingPathComponent(
      "Checks/onprem.server-config/fixtures/onprem.audience-not-valid--trailing-slash.txt"
    ).path
    let outcome = ServerConfiguration.diagnose(
      settings: OnPremContext.settings(config: path), claims: OnPremContext.claims())
    #expect(
      outcome.detail?.contains("only the variant 'https://api.businesscentral.dynamics.com/'") == true,
      "\(outcome.detail ?? "")")
    // A GUID token against a URI-only ValidAudiences: the GUID is what must be added.
    let guid = ServerConfiguration.diagnose(
      settings: OnPremContext.settings(
        config: repositoryRoot.appendingPathComponent(
          "Checks/onprem.server-config/fixtures/passed--customsettings.config"
        ).path),
      claims: OnPremContext.claims(aud: BusinessCentral.resourceAppID))
    #expect(guid.reason == "onprem.audience-not-valid")
    #expect(guid.detail?.contains("exact aud '\(BusinessCentral.resourceAppID)'") == true)
    #expect(
      guid.detail?.contains("only the variant 'https://api.businesscentral.dynamics.com'") == true,
      "\(guid.detail ?? "")")
  }

  @Test func withoutATokenTheStandardAudienceIsRequired() throws {
    let config = try ServerConfiguration.parse(
      xml(["ServerInstance": "BC", "ValidAudiences": "0fc72ef2-0aa3-4455-b408-7adf15caafd8"]),
      file: "CustomSettings.config")
    let outcome = config.diagnose(settings: OnPremContext.settings(), claims: nil)
    #expect(outcome.reason == "onprem.audience-not-valid")
    #expect(outcome.detail?.contains("no token could be had") == true)
    #expect(
      outcome.detail?.contains(
        #"-KeyValue "0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com""#) == true)
    // Without a token, a correct file passes (the tenant is taken from --tenant).
    let good = try ServerConfiguration.load(
      path: repositoryRoot.appendingPathComponent(
        "Checks/onprem.server-config/fixtures/passed--customsettings.config"
      ).path)
    #expect(good.diagnose(settings: OnPremContext.settings(), claims: nil).status == .passed)
  }

  @Test func firstProblemWinsAndTheOthersAreListed() throws {
    let config = try ServerConfiguration.parse(
      xml([
        "ServerInstance": "BC 24", "ValidAudiences": "x", "ClientServicesCredentialType": "Windows",
        "ApiServicesEnabled": "false", "Multitenant": "true",
      ]), file: "CustomSettings.config")
    let outcome = config.diagnose(settings: OnPremContext.settings(), claims: OnPremContext.claims())
    #expect(outcome.reason == "onprem.audience-not-valid")
    #expect(outcome.detail?.contains(#"-ServerInstance "BC 24""#) == true, "instance names with spaces are quoted")
    let others = outcome.evidence.first { $0.key == "config.otherProblems" }?.value ?? ""
    #expect(
      others
        == "onprem.not-entra-auth, onprem.metadata-tenant-mismatch, onprem.api-disabled, onprem.tenant-parameter-missing"
    )
  }

  @Test func notEntraAuthAndApiDisabledCommands() throws {
    let config = try ServerConfiguration.parse(
      xml([
        "ServerInstance": "BC240", "ValidAudiences": BusinessCentral.resource,
        "ClientServicesCredentialType": "NavUserPassword",
      ]), file: "c.config")
    let auth = config.diagnose(settings: OnPremContext.settings(), claims: OnPremContext.claims())
    #expect(auth.reason == "onprem.not-entra-auth")
    #expect(auth.detail?.contains(#"-KeyName ClientServicesCredentialType -KeyValue "AccessControlService""#) == true)
    let api = try ServerConfiguration.parse(
      xml([
        "ServerInstance": "BC240", "ValidAudiences": BusinessCentral.resource,
        "ClientServicesCredentialType": "AccessControlService",
        "ADOpenIdMetadataLocation": "https://login.microsoftonline.com/common/.well-known/openid-configuration",
        "ODataServicesEnabled": "true",
      ]), file: "c.config"
    ).diagnose(settings: OnPremContext.settings(), claims: OnPremContext.claims())
    #expect(api.reason == "onprem.api-disabled")
    #expect(
      api.detail?.contains(
        #"Set-NAVServerConfiguration -ServerInstance BC240 -KeyName ApiServicesEnabled -KeyValue "true""#) == true)
    #expect(api.detail?.contains("ODataServicesEnabled -KeyValue") == false, "ODataServicesEnabled is already true")
  }

  @Test func metadataTenantChecks() throws {
    func outcome(_ location: String, version: String? = nil, claims: TokenClaims? = OnPremContext.claims()) throws
      -> Outcome
    {
      var settings = baseSettings
      settings["ADOpenIdMetadataLocation"] = location
      if let version { settings["ApplicationVersion"] = version }
      return try ServerConfiguration.parse(xml(settings), file: "c.config").diagnose(
        settings: OnPremContext.settings(), claims: claims)
    }
    #expect(try outcome("https://login.microsoftonline.com/common/.well-known/openid-configuration").status == .passed)
    #expect(
      try outcome("https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-configuration").status == .passed)
    #expect(
      try outcome(
        "https://login.microsoftonline.com/\(OnPremContext.tenantID.uppercased())/.well-known/openid-configuration"
      ).status == .passed)
    let other = try outcome(
      "https://login.microsoftonline.com/c0ffee00-1234-4abc-8def-0123456789ab/.well-known/openid-configuration")
    #expect(other.reason == "onprem.metadata-tenant-mismatch")
    #expect(
      other.detail?.contains(
        #"-KeyName ADOpenIdMetadataLocation -KeyValue "https://login.microsoftonline.com/\#(OnPremContext.tenantID)/.well-known/openid-configuration""#
      ) == true, "\(other.detail ?? "")")
    // Version 22+: a WS-Federation location alone does not count.
    var federationOnly = baseSettings
    federationOnly["ClientServicesFederationMetadataLocation"] =
      "https://login.microsoftonline.com/\(OnPremContext.tenantID)/FederationMetadata/2007-06/FederationMetadata.xml"
    federationOnly["ApplicationVersion"] = "24.1.18000.0"
    let v24 = try ServerConfiguration.parse(xml(federationOnly), file: "c.config").diagnose(
      settings: OnPremContext.settings(), claims: OnPremContext.claims())
    #expect(v24.reason == "onprem.metadata-tenant-mismatch")
    // The same on version 21 uses the federation location.
    federationOnly["ApplicationVersion"] = "21.5.1.0"
    let v21 = try ServerConfiguration.parse(xml(federationOnly), file: "c.config").diagnose(
      settings: OnPremContext.settings(), claims: OnPremContext.claims())
    #expect(v21.status == .passed, "\(v21.detail ?? "")")
    // No metadata location at all.
    let none = try ServerConfiguration.parse(xml(baseSettings), file: "c.config").diagnose(
      settings: OnPremContext.settings(), claims: OnPremContext.claims())
    #expect(none.reason == "onprem.metadata-tenant-mismatch")
  }

  @Test func redirectURIAgainstPublicWebBaseUrl() throws {
    var settings = baseSettings
    settings["ADOpenIdMetadataLocation"] = "https://login.microsoftonline.com/common/.well-known/openid-configuration"
    settings["PublicWebBaseUrl"] = "https://bc.contoso.com:443/BC/"
    let config = try ServerConfiguration.parse(xml(settings), file: "c.config")
    func check(_ redirect: String?) -> Outcome {
      var connection = OnPremContext.settings()
      connection.redirectURI = redirect
      return config.diagnose(settings: connection, claims: OnPremContext.claims())
    }
    #expect(
      check("https://bc.contoso.com/BC/OAuthLanding.htm").status == .passed, "BC drops :443 from PublicWebBaseUrl")
    #expect(check(nil).status == .passed)
    #expect(check("https://bc.contoso.com:443/BC/OAuthLanding.htm").reason == "input.redirect-uri-default-port")
    let landing = check("https://bc.contoso.com/BC/oauthlanding.htm")
    #expect(landing.reason == "input.redirect-uri-not-oauthlanding")
    #expect(landing.detail?.contains("https://bc.contoso.com/BC/OAuthLanding.htm") == true)
    let other = check("https://bc01.contoso.local/BC/OAuthLanding.htm")
    #expect(other.reason == "onprem.redirect-uri-mismatch")
    #expect(
      other.detail?.contains(#"-KeyName PublicWebBaseUrl -KeyValue "https://bc01.contoso.local/BC/""#) == true,
      "\(other.detail ?? "")")
  }

  @Test func versionGate() throws {
    func outcome(_ version: String) throws -> Outcome {
      var settings = baseSettings
      settings["ApplicationVersion"] = version
      settings["ADOpenIdMetadataLocation"] = "https://login.microsoftonline.com/common/.well-known/openid-configuration"
      settings["ClientServicesFederationMetadataLocation"] =
        "https://login.microsoftonline.com/common/FederationMetadata/2007-06/FederationMetadata.xml"
      return try ServerConfiguration.parse(xml(settings), file: "c.config").diagnose(
        settings: OnPremContext.settings(), claims: OnPremContext.claims())
    }
    #expect(try outcome("17.5.1.0").reason == "onprem.version-unsupported")
    #expect(try outcome("18.10").reason == "onprem.version-unsupported")
    #expect(try outcome("18.11").status == .passed)
    #expect(try outcome("19.4.3.2").reason == "onprem.version-unsupported")
    #expect(try outcome("19.5").status == .passed)
    #expect(try outcome("20.0").status == .passed)
    let old = try outcome("18.3")
    #expect(old.detail?.contains("OpenID Connect exists only from version 20") == true)
    // A platform build (18.0.x) does not say the update: no verdict, a note.
    var platform = baseSettings
    platform["Version"] = "18.0.27224.0"
    platform["ClientServicesFederationMetadataLocation"] =
      "https://login.microsoftonline.com/common/FederationMetadata/2007-06/FederationMetadata.xml"
    let note = try ServerConfiguration.parse(xml(platform), file: "c.config").diagnose(
      settings: OnPremContext.settings(), claims: OnPremContext.claims())
    #expect(note.status == .passed)
    #expect(note.detail?.contains("platform build") == true)
  }

  @Test func multitenantNeedsATenant() throws {
    let path = repositoryRoot.appendingPathComponent(
      "Checks/onprem.server-config/fixtures/onprem.tenant-parameter-missing--customsettings.config"
    ).path
    var settings = OnPremContext.settings(config: path)
    let missing = ServerConfiguration.diagnose(settings: settings, claims: OnPremContext.claims())
    #expect(missing.detail?.contains("-AadTenantId \(OnPremContext.tenantID)") == true)
    #expect(missing.detail?.contains("-DatabaseName BC240") == true)
    settings.serverTenant = "default"
    #expect(ServerConfiguration.diagnose(settings: settings, claims: OnPremContext.claims()).status == .passed)
  }

  @Test func truncatedTableValueCannotBeJudged() {
    let outcome = ServerConfiguration.diagnose(
      settings: OnPremContext.settings(config: onpremFixture("truncated-table.txt")), claims: OnPremContext.claims())
    #expect(outcome.status == .couldNotTest)
    #expect(outcome.reason == "onprem.audience-not-valid")
    #expect(outcome.detail?.contains("ConvertTo-Json") == true)
  }

  // MARK: formats

  @Test func readsEveryFormat() throws {
    let folder = repositoryRoot.appendingPathComponent("Checks/onprem.server-config/fixtures")
    let table = try ServerConfiguration.load(
      path: folder.appendingPathComponent("passed--get-navserverconfiguration.txt").path)
    #expect(table.format == .table)
    #expect(
      table.value("validaudiences") == "0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com")
    #expect(table.value("AppIdUri") == "")
    #expect(table.serverInstance == "BC240")
    let list = try ServerConfiguration.load(path: folder.appendingPathComponent("passed--format-list.txt").path)
    #expect(list.format == .list)
    #expect(
      list.value("ADOpenIdMetadataLocation")
        == "https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration",
      "wrapped values are joined")
    let json = try ServerConfiguration.load(path: folder.appendingPathComponent("passed--convertto-json.json").path)
    #expect(json.format == .json)
    #expect(json.keys.count == table.keys.count)
    let map = try ServerConfiguration.load(
      path: folder.appendingPathComponent("onprem.api-disabled--hashtable.json").path)
    #expect(map.value("ApiServicesEnabled") == "True")
    let xml = try ServerConfiguration.load(path: folder.appendingPathComponent("passed--customsettings.config").path)
    #expect(xml.format == .customSettings)
    #expect(
      xml.value("ProhibitedReportServerPrinters") == #"["Microsoft Print to PDF","Microsoft XPS Document Writer"]"#,
      "entities are decoded")
    #expect(xml.setting("ServerInstance")?.line ?? 0 > 1)
    #expect(xml.version?.text == "24.0.16410.18056")
    #expect(Set(xml.keys) == Set(table.keys))
  }

  @Test func readsUTF16AndWindows1252() throws {
    let utf16 = try ServerConfiguration.load(path: onpremFixture("utf16-table.txt"))
    #expect(utf16.format == .table)
    #expect(utf16.value("ServerInstance") == "BC240")
    #expect(
      ServerConfiguration.diagnose(
        settings: OnPremContext.settings(config: onpremFixture("utf16-table.txt")), claims: OnPremContext.claims()
      ).status == .passed)
    let legacy = try ServerConfiguration.load(path: onpremFixture("cp1252.config"))
    #expect(legacy.value("DatabaseServer") == "SQL01")
  }

  @Test func smallShapes() throws {
    let wrapped = try ServerConfiguration.parse(
      #"{"value": [{"Key": "ServerInstance", "Value": "BC"}, {"Key": "Multitenant", "Value": false}], "Count": 2}"#,
      file: "c.json")
    #expect(wrapped.value("Multitenant") == "False")
    let hashtable = try ServerConfiguration.parse(
      "Name                           Value\n----                           -----\nServerInstance                 BC\nValidAudiences                 https://api.businesscentral.dynamics.com\n",
      file: "h.txt")
    #expect(hashtable.value("ValidAudiences") == BusinessCentral.resource)
    let listing = try ServerConfiguration.parse(
      "PS C:\\> Get-NAVServerConfiguration -ServerInstance BC230 -KeyName ValidAudiences\nhttps://api.businesscentral.dynamics.com\n\nClientServicesCredentialType : AccessControlService\n",
      file: "t.txt")
    #expect(listing.serverInstance == "BC230", "the instance comes from the transcript")
    #expect(listing.value("ClientServicesCredentialType") == "AccessControlService")
    let comment = try ServerConfiguration.parse(
      "<appSettings><!-- <add key=\"ValidAudiences\" value=\"commented out\"/> --><add key='ServerInstance' value='BC'/></appSettings>",
      file: "c.config")
    #expect(comment.value("ValidAudiences") == nil, "settings inside comments are not settings")
    #expect(comment.value("ServerInstance") == "BC", "single quotes")
    let last = try ServerConfiguration.parse(
      "<appSettings><add key=\"ServerInstance\" value=\"A\"/><add key=\"serverinstance\" value=\"B\"/></appSettings>",
      file: "c.config")
    #expect(last.value("SERVERINSTANCE") == "B")
    #expect(last.keys == ["ServerInstance"])
  }

  @Test func versionFromTextAndKeys() {
    #expect(
      VersionFinder.inText("Business Central 18.4 (Platform 18.0.24515.0 + Application 18.4.24516.0)")?.text
        == "18.4.24516.0")
    #expect(VersionFinder.inText("Version: 19.5.32958.33159")?.minor == 5)
    #expect(VersionFinder.inText("ServerInstance BC180, port 7048")?.text == nil)
    #expect(VersionFinder.inText("see https://example.com/v2.0/ and 10.0.0.1")?.text == nil)
    #expect(VersionFinder.inText("Version 18.0.27224.0")?.isPlatformBuild == true)
    #expect(VersionFinder.inText("Application 18.0.23013.23320")?.isPlatformBuild == false)
  }

  // MARK: errors

  @Test(arguments: [
    ("malformed-unclosed-add.config", ServerConfiguration.ParseError.Kind.malformed, 12, "unclosed element <add>"),
    ("empty.config", .empty, 1, "empty file"),
    ("blank.config", .empty, 1, "empty file"),
    (
      "iis-web.config", .notBusinessCentral, 2,
      "this is not a Business Central server configuration (it looks like an IIS or ASP.NET web.config"
    ),
    ("appsettings.json", .notBusinessCentral, 1, "this is not a Business Central server configuration"),
    ("navsettings.json", .notBusinessCentral, 1, "navsettings.json"),
    ("binary.bin", .binary, 1, "binary data"),
    ("malformed.json", .malformed, 8, "expected ',' or '}'"),
  ])
  func badFilesNameFileAndLine(
    _ name: String, _ kind: ServerConfiguration.ParseError.Kind, _ line: Int, _ message: String
  ) {
    let path = onpremFixture(name)
    do {
      _ = try ServerConfiguration.load(path: path)
      Issue.record("\(name) must not parse")
    } catch {
      #expect(error.kind == kind, "\(error)")
      #expect(error.line == line, "\(error)")
      #expect(error.description.hasPrefix("\(path):\(line): "), "\(error)")
      #expect(error.description.contains(message), "\(error)")
    }
    // The check turns the same error into could-not-test, naming the file.
    let outcome = ServerConfiguration.diagnose(settings: OnPremContext.settings(config: path), claims: nil)
    #expect(outcome.status == .couldNotTest)
    #expect(outcome.detail?.contains(name) == true)
  }

  @Test func missingFileIsUnreadable() {
    #expect(throws: ServerConfiguration.ParseError.self) {
      try ServerConfiguration.load(path: "/nonexistent/CustomSettings.config")
    }
    do {
      _ = try ServerConfiguration.load(path: "/nonexistent/CustomSettings.config")
    } catch {
      #expect(error.kind == .unreadable)
      #expect(error.description == "/nonexistent/CustomSettings.config: no such file")
    }
  }

  @Test(arguments: [
    ("<appSettings>\n<add key=\"a\" value=\"b\"/>\n", 1, "unclosed element <appSettings>"),
    ("<appSettings>\n  <add key=\"ServerInstance\" value=\"BC\n", 2, "no closing quote"),
    ("<appSettings>\n  <add key=ServerInstance value=\"BC\"/>\n</appSettings>", 2, "must be in quotes"),
    ("<appSettings>\n  <add key=\"a\" key=\"b\"/>\n</appSettings>", 2, "duplicate attribute"),
    ("<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<appSettings/>", 1, "DOCTYPE"),
    ("<appSettings>\n  <add key=\"ServerInstance\" value=\"&lol;\"/>\n</appSettings>", 2, "unknown entity &lol;"),
    ("<appSettings>\n<!-- never closed\n<add/>\n", 2, "unclosed comment"),
    ("<appSettings></appSettings>\n<appSettings/>", 2, "second root element"),
    ("<appSettings>\n  <add key=\"ServerInstance\" value=\"BC\"\n", 2, "the file ends inside the tag"),
    ("<appSettings>\n</add>\n</appSettings>", 1, "unclosed element <appSettings> (found </add> at line 2)"),
    ("hello <appSettings/>", 1, "not a Business Central server configuration"),
    ("<appSettings><add value=\"x\"/></appSettings>", 1, "<add> without a key attribute"),
  ])
  func malformedXMLIsLocated(_ text: String, _ line: Int, _ message: String) {
    do {
      let parsed = try ServerConfiguration.parse(text, file: "CustomSettings.config")
      Issue.record("parsed: \(parsed.keys)")
    } catch {
      #expect(error.description.hasPrefix("CustomSettings.config:\(line): "), "\(error)")
      #expect(error.description.contains(message), "\(error)")
    }
  }

  @Test func hugeNamesStayOutOfMessages() {
    let text = "<appSettings><" + String(repeating: "a", count: 1_000_000) + "/></appSettings>"
    do {
      _ = try ServerConfiguration.parse(text, file: "big.config")
      Issue.record("must not parse")
    } catch {
      #expect(error.description.count < 200, "\(error.description.prefix(300))")
    }
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let deep = "<appSettings>" + String(repeating: "<a>", count: 100_000)
    #expect(throws: ServerConfiguration.ParseError.self) { try ServerConfiguration.parse(deep, file: "deep.config") }
    let json = String(repeating: "[", count: 100_000)
    #expect(throws: ServerConfiguration.ParseError.self) { try ServerConfiguration.parse(json, file: "deep.json") }
  }

  // MARK: server log

  @Test func logEncodingsAndEvidence() throws {
    let utf16 = try ServerLog.scan(path: onpremFixture("event-viewer-utf16.txt"))
    #expect(utf16.encoding == "UTF-16LE")
    #expect(utf16.findings.first?.reason == "onprem.audience-not-valid")
    #expect(utf16.findings.first?.firstLineNumber == 7)
    #expect(utf16.findings.first?.firstLine.contains("Grüße") == true, "non-ASCII text survives")
    #expect(utf16.rejectedAudience == "https://api.businesscentral.dynamics.com/")
    #expect(utf16.serverInstance == "BC240")

    let evtx = try ServerLog.scan(path: onpremFixture("security.evtx"))
    #expect(evtx.findings.first?.reason == "onprem.metadata-tenant-mismatch")
    #expect(evtx.rejectedIssuer == "https://sts.windows.net/c0ffee00-1234-4abc-8def-0123456789ab/")
    #expect(evtx.serverInstance == "BC250")

    let outcome = ServerLog.diagnose(settings: OnPremContext.settings(log: onpremFixture("security.evtx")))
    #expect(
      outcome.detail?.contains(
        #"-KeyName ADOpenIdMetadataLocation -KeyValue "https://login.microsoftonline.com/c0ffee00-1234-4abc-8def-0123456789ab/.well-known/openid-configuration""#
      ) == true, "\(outcome.detail ?? "")")
    #expect(outcome.detail?.contains("Restart-NAVServerInstance -ServerInstance BC250") == true)
  }

  @Test func logCountsLinesAndUsesTheConfigForTheFix() throws {
    let log = repositoryRoot.appendingPathComponent(
      "Checks/onprem.server-log/fixtures/onprem.audience-not-valid--event-viewer.txt"
    ).path
    let report = try ServerLog.scan(path: log)
    #expect(report.findings.map(\.reason) == ["onprem.audience-not-valid"])
    #expect(report.findings.first?.count == 2)
    let config = repositoryRoot.appendingPathComponent(
      "Checks/onprem.server-config/fixtures/passed--customsettings.config"
    ).path
    var settings = OnPremContext.settings(config: config, log: log)
    let outcome = ServerLog.diagnose(settings: settings)
    #expect(
      outcome.detail?.contains(
        #"-KeyName ValidAudiences -KeyValue "0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com;https://api.businesscentral.dynamics.com/""#
      ) == true, "\(outcome.detail ?? "")")
    settings.serverConfig = nil
    #expect(
      ServerLog.diagnose(settings: settings).detail?.contains(
        "<existing entries>;https://api.businesscentral.dynamics.com/") == true)
  }

  @Test func logPriorityAndRedaction() {
    let token =
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2FwaS5idXNpbmVzc2NlbnRyYWwuZHluYW1pY3MuY29tIn0.c2lnbmF0dXJlX3ZhbHVl"
    let text = """
      2024-05-18 10:00 The user does not have any entitlements.
      2024-05-18 10:01 IDX10214: Audience validation failed. Bearer \(token)
      2024-05-18 10:02 IDX10214: Audience validation failed.
      """
    let report = ServerLog.scan(text)
    #expect(
      report.findings.map(\.reason) == ["onprem.audience-not-valid", "token.roles-missing"],
      "check order, not file order")
    #expect(report.findings.first?.count == 2)
    #expect(report.findings.first?.firstLineNumber == 2)
    #expect(report.linesScanned == 3)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-onprem-\(UUID().uuidString).log")
    FileManager.default.createFile(atPath: path.path, contents: Data(text.utf8))
    defer { try? FileManager.default.removeItem(at: path) }
    let outcome = ServerLog.diagnose(settings: OnPremContext.settings(log: path.path))
    let rendered = (outcome.detail ?? "") + outcome.evidence.map(\.value).joined()
    #expect(!rendered.contains(token), "tokens in log lines are redacted")
    #expect(outcome.detail?.contains("1 × token.roles-missing") == true)
  }

  @Test func emptyAndMissingLogs() {
    let empty = ServerLog.diagnose(settings: OnPremContext.settings(log: onpremFixture("empty.config")))
    #expect(empty.status == .couldNotTest)
    let missing = ServerLog.diagnose(settings: OnPremContext.settings(log: "/nonexistent/app.evtx"))
    #expect(missing.status == .couldNotTest)
    #expect(missing.detail?.contains("/nonexistent/app.evtx") == true)
  }

  @Test func largeLogIsCappedAndLinear() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-onprem-big-\(UUID().uuidString).log")
    defer { try? FileManager.default.removeItem(at: path) }
    var chunk = String(
      repeating:
        "2024-05-18 10:00:00 Information Server instance: BC240 Category: Service Message A connection has been established.\n",
      count: 9_000)
    chunk += String(repeating: "x", count: 2_000_000) + "\n"  // one very long line
    var data = Data()
    for _ in 0..<12 { data.append(Data(chunk.utf8)) }
    data.append(Data("IDX10214: Audience validation failed.\n".utf8))
    try data.write(to: path)
    let clock = ContinuousClock()
    let started = clock.now
    let full = try ServerLog.scan(path: path.path)
    #expect(clock.now - started < .seconds(30))
    #expect(full.findings.first?.reason == "onprem.audience-not-valid")
    #expect(full.linesScanned == 12 * 9_001 + 1)
    #expect(!full.truncated)
    let capped = try ServerLog.scan(path: path.path, limit: 4 << 20)
    #expect(capped.truncated)
    #expect(capped.bytesScanned == 4 << 20)
    #expect(capped.findings.isEmpty)
    #expect(capped.totalBytes == data.count)
  }

  // MARK: fuzz

  static let cases = Int(ProcessInfo.processInfo.environment["S2S_FUZZ_CASES"] ?? "") ?? 10_000

  static func seeds(_ check: String) -> [[UInt8]] {
    OnPremFixture.all(check).compactMap { try? Array(Data(contentsOf: URL(fileURLWithPath: $0.path))) }
  }

  static func mutate(_ seed: [UInt8], _ seeds: [[UInt8]], _ rng: inout SplitMix64) -> [UInt8] {
    var bytes = seed
    func at() -> Int { bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng) }
    switch Int.random(in: 0..<9, using: &rng) {
    case 0:  // random bytes
      return (0..<Int.random(in: 0..<512, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    case 1:  // truncate
      bytes = Array(bytes.prefix(at()))
    case 2:  // flip bytes
      for _ in 0..<Int.random(in: 1...8, using: &rng) where !bytes.isEmpty {
        bytes[at()] = UInt8.random(in: 0...255, using: &rng)
      }
    case 3:  // structural characters
      let specials = Array("<>\"'&;/=:[]{},-\n\r\t ".utf8)
      for _ in 0..<Int.random(in: 1...16, using: &rng) {
        bytes.insert(specials[Int.random(in: 0..<specials.count, using: &rng)], at: at())
      }
    case 4:  // deep nesting
      let open = ["<a>", "[", "{\"k\":", "<!--"][Int.random(in: 0..<4, using: &rng)]
      bytes = Array(String(repeating: open, count: Int.random(in: 100...5000, using: &rng)).utf8) + bytes
    case 5:  // splice two seeds
      let other = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
      bytes = Array(bytes.prefix(bytes.count / 2)) + Array(other.suffix(other.count / 2))
    case 6:  // encodings: UTF-16 marks, NULs, invalid UTF-8
      let marks: [[UInt8]] = [[0xFF, 0xFE], [0xFE, 0xFF], [0xEF, 0xBB, 0xBF], [0x00], [0xC3, 0x28, 0xFF]]
      bytes.insert(
        contentsOf: marks[Int.random(in: 0..<marks.count, using: &rng)],
        at: Int.random(in: 0...1, using: &rng) == 0 ? 0 : at())
    case 7:  // entities and anchors
      let anchors = [
        "&#x0;", "&#99999999;", "&amp", "&#x1F600;", "IDX10214", "key : ", "value : ", "---  -----",
        "<add key=\"ValidAudiences\" value=\"",
      ]
      bytes.insert(contentsOf: Array(anchors[Int.random(in: 0..<anchors.count, using: &rng)].utf8), at: at())
    default:  // huge line
      bytes += Array(String(repeating: "ValidAudiences ", count: Int.random(in: 1...2000, using: &rng)).utf8)
    }
    return bytes
  }

  @Test func configParserSurvivesHostileInput() {
    let seeds = Self.seeds("onprem.server-config")
    #expect(!seeds.isEmpty)
    var rng = SplitMix64(seed: 0x0E9E_C0F1)
    var parsed = 0
    for _ in 0..<Self.cases {
      let bytes = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &rng)], seeds, &rng)
      do {
        let config = try ServerConfiguration.parse(data: Data(bytes), file: "fuzz.config")
        parsed += 1
        // A parsed configuration can always be checked.
        let outcome = config.diagnose(settings: OnPremContext.settings(), claims: OnPremContext.claims())
        #expect(outcome.reason.map { Catalogue.builtIn.reason($0) != nil } ?? true)
      } catch {
        #expect(error.description.hasPrefix("fuzz.config:"), "\(error)")
        #expect(error.line >= 1, "\(error)")
      }
    }
    #expect(parsed > 0, "some mutations must still parse")
  }

  @Test func logScannerSurvivesHostileInput() {
    let seeds = Self.seeds("onprem.server-log")
    #expect(!seeds.isEmpty)
    var rng = SplitMix64(seed: 0x10C5_CA77)
    let fresh = ServerLog.Scanner()
    for _ in 0..<Self.cases {
      let bytes = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &rng)], seeds, &rng)
      // Feed in random pieces: the result must not depend on where blocks end.
      var scanner = fresh
      var rest = bytes[...]
      while !rest.isEmpty {
        let size = Int.random(in: 1...max(1, rest.count), using: &rng)
        scanner.feed(Data(rest.prefix(size)))
        rest = rest.dropFirst(size)
      }
      let pieces = scanner.finish()
      var single = fresh
      single.feed(Data(bytes))
      let whole = single.finish()
      #expect(pieces.findings.map(\.reason) == whole.findings.map(\.reason))
      #expect(pieces.findings.map(\.count) == whole.findings.map(\.count))
      #expect(whole.findings.allSatisfy { $0.count > 0 && Catalogue.builtIn.reason($0.reason) != nil })
    }
  }

  @Test func leftoverClientIDWithOpenIDConnectIsANoteWithItsFix() throws {
    var settings = baseSettings
    settings["ADOpenIdMetadataLocation"] =
      "https://login.microsoftonline.com/\(OnPremContext.tenantID)/.well-known/openid-configuration"
    settings["WSFederationLoginEndpoint"] = ""
    func outcome(_ clientID: String) throws -> Outcome {
      var s = settings
      s["AzureActiveDirectoryClientId"] = clientID
      return try ServerConfiguration.parse(xml(s), file: "c.config").diagnose(
        settings: OnPremContext.settings(), claims: OnPremContext.claims())
    }
    let leftover = try outcome("2a4b6c8d-1e3f-4a5b-8c7d-9e0f1a2b3c4d")
    #expect(leftover.status == .passed, "S2S still works: a note, not a failure")
    #expect(leftover.detail?.contains("WSFederationLoginEndpoint … cannot be empty") == true)
    #expect(
      leftover.detail?.contains(
        #"Set-NAVServerConfiguration -ServerInstance BC240 -KeyName AzureActiveDirectoryClientId -KeyValue "00000000-0000-0000-0000-000000000000""#
      ) == true, "\(leftover.detail ?? "")")
    for unset in ["", "00000000-0000-0000-0000-000000000000"] {
      #expect(try outcome(unset).detail?.contains("AzureActiveDirectoryClientId is set") == false)
    }
  }

  // MARK: helpers

  let baseSettings: [String: String] = [
    "ServerInstance": "BC240", "DatabaseName": "BC240", "ValidAudiences": "https://api.businesscentral.dynamics.com",
    "ClientServicesCredentialType": "AccessControlService", "ApiServicesEnabled": "true",
    "ODataServicesEnabled": "true",
    "PublicWebBaseUrl": "https://bc.contoso.com/BC/",
  ]

  func xml(_ settings: [String: String]) -> String {
    func escape(_ s: String) -> String {
      s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
        .replacingOccurrences(of: "<", with: "&lt;")
    }
    let adds = settings.sorted { $0.key < $1.key }.map { "  <add key=\"\($0.key)\" value=\"\(escape($0.value))\" />" }
    return (["<?xml version=\"1.0\" encoding=\"utf-8\"?>", "<appSettings>"] + adds + ["</appSettings>", ""]).joined(
      separator: "\n")
  }
}
