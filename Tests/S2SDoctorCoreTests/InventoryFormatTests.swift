import Foundation
import Testing

@testable import S2SDoctorCore

/// Issue 14, point 10: fleet inventories as spreadsheets save them.
@Suite struct InventoryFormatTests {
  static let tenant = "contoso.onmicrosoft.com"
  static let client = "5c2a7d1e-3b4f-4a6e-9d8c-7f1e2d3c4b5a"

  @Test func theHeaderIsMatchedWhateverItsCase() throws {
    let parsed = try Inventory.parse(
      "NAME,Tenant,ClientID,ENVIRONMENT\ncontoso,\(Self.tenant),\(Self.client),sandbox\n")
    #expect(parsed.problems.isEmpty, "\(parsed.problems)")
    let row = try #require(parsed.rows.first)
    #expect(row.name == "contoso" && row.tenant == Self.tenant && row.clientID == Self.client)
    #expect(row.environments == ["sandbox"])
  }

  @Test func aSemicolonSeparatedFileIsRead() throws {
    let text = """
      name;tenant;clientId;environment;secretEnv
      contoso;\(Self.tenant);\(Self.client);"production;sandbox";S2S_SECRET_CONTOSO
      fabrikam;fabrikam.onmicrosoft.com;\(Self.client);;

      """
    let parsed = try Inventory.parse(text)
    #expect(parsed.problems.isEmpty, "\(parsed.problems)")
    #expect(parsed.rows.count == 2)
    #expect(parsed.rows.first?.environments == ["production", "sandbox"])
    #expect(parsed.rows.first?.secretEnv == "S2S_SECRET_CONTOSO")
    #expect(parsed.rows.last?.tenant == "fabrikam.onmicrosoft.com")
  }

  @Test func aCommaFileWithSemicolonEnvironmentsStaysComma() throws {
    let parsed = try Inventory.parse(
      "name,tenant,clientId,environment\ncontoso,\(Self.tenant),\(Self.client),production;sandbox\n")
    #expect(parsed.rows.first?.environments == ["production", "sandbox"])
  }
}
