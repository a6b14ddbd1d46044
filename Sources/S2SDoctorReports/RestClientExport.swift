import Foundation
import S2SDoctorCore

/// `s2s-doctor export http`: a VS Code REST Client (`.http`) file for one registration.
///
/// The same requests as Microsoft's `S2SAccess.rest` sample: a client credentials token request,
/// list companies, then get, create, modify and delete a customer. The secret is never written:
/// `@clientSecret` holds a placeholder for the user to fill in.
public enum RestClientExport {
  public static let secretPlaceholder = "<paste the secret value here>"

  public static func render(_ settings: ConnectionSettings, toolVersion: String) -> String {
    let tenant = line(settings.tenant) ?? "<Directory (tenant) ID>"
    let clientID = line(settings.clientID) ?? "<Application (client) ID>"
    let authority = trimSlash(line(settings.authorityHost) ?? "https://login.microsoftonline.com")
    let onprem = settings.deployment == .onprem
    let baseURL: String
    var query = ""
    if onprem {
      baseURL = trimSlash(line(settings.bcURL) ?? "https://<server>:7048/BC") + "/api/v2.0"
      if let serverTenant = line(settings.serverTenant) {
        query = "?tenant=" + Redactor.formEncode(serverTenant)
      }
    } else {
      let host = trimSlash(line(settings.bcAPIHost) ?? BusinessCentral.apiHost)
      let environment = line(settings.environment) ?? "production"
      baseURL = "\(host)/v2.0/{{tenant}}/\(environment)/api/v2.0"
    }
    let company = line(settings.company)
    let companyIsID = company.map(isGUID) ?? false

    var out = """
      # Business Central service-to-service (S2S) requests for the VS Code REST Client extension
      # (humao.rest-client). Written by s2s-doctor \(toolVersion) `export http`.
      #
      # 1. Paste the client secret's Value (not its Secret ID) into @clientSecret below.
      #    Never commit this file with the secret filled in.
      # 2. Send the requests from top to bottom ("Send Request" above each one); the token and the
      #    ids of later requests come from the responses of earlier ones.

      @tenant = \(tenant)
      @clientId = \(clientID)
      @clientSecret = \(secretPlaceholder)
      @scope = \(BusinessCentral.scope)
      @baseUrl = \(baseURL)

      """
    if onprem {
      out += """
        # On-premises: @scope must be your Business Central server's Application ID URI followed
        # by /.default if it differs from the one above.

        """
    }
    out += """

      ### Get an app-only access token (client credentials grant)
      # @name tokenRequest
      POST \(authority)/{{tenant}}/oauth2/v2.0/token
      Content-Type: application/x-www-form-urlencoded

      grant_type=client_credentials
      &client_id={{clientId}}
      &client_secret={{clientSecret}}
      &scope={{scope}}

      ###
      @token = {{tokenRequest.response.body.$.access_token}}

      ### List the companies
      # @name companies
      GET {{baseUrl}}/companies\(query)
      Authorization: Bearer {{token}}
      Accept: application/json

      ###

      """
    if let company, companyIsID {
      out += "@companyId = \(company)\n"
    } else if let company {
      out += """
        # The company "\(company.replacingOccurrences(of: "\n", with: " "))" was given by name: \
        replace the expression below with its id from the list above if it is not the first company.
        @companyId = {{companies.response.body.$.value[0].id}}

        """
    } else {
      out += "@companyId = {{companies.response.body.$.value[0].id}}\n"
    }
    out += """

      ### Get one company
      GET {{baseUrl}}/companies({{companyId}})\(query)
      Authorization: Bearer {{token}}
      Accept: application/json

      ### List customers
      GET {{baseUrl}}/companies({{companyId}})/customers\(query)
      Authorization: Bearer {{token}}
      Accept: application/json

      ### Create a customer
      # @name newCustomer
      POST {{baseUrl}}/companies({{companyId}})/customers\(query)
      Authorization: Bearer {{token}}
      Content-Type: application/json
      Accept: application/json

      {
        "displayName": "S2S Doctor test customer"
      }

      ###
      @customerId = {{newCustomer.response.body.$.id}}

      ### Get the new customer
      GET {{baseUrl}}/companies({{companyId}})/customers({{customerId}})\(query)
      Authorization: Bearer {{token}}
      Accept: application/json

      ### Modify the new customer (If-Match: * skips the optimistic concurrency check)
      PATCH {{baseUrl}}/companies({{companyId}})/customers({{customerId}})\(query)
      Authorization: Bearer {{token}}
      Content-Type: application/json
      If-Match: *

      {
        "displayName": "S2S Doctor test customer (modified)"
      }

      ### Delete the new customer
      DELETE {{baseUrl}}/companies({{companyId}})/customers({{customerId}})\(query)
      Authorization: Bearer {{token}}
      If-Match: *

      """
    return out
  }

  private static func line(_ value: String?) -> String? {
    guard let value else { return nil }
    let clean = value.replacingOccurrences(of: "\r", with: "").replacingOccurrences(
      of: "\n", with: ""
    )
    .trimmedSpaces
    return clean.isEmpty ? nil : clean
  }

  private static func trimSlash(_ value: String) -> String {
    var v = value
    while v.hasSuffix("/") { v.removeLast() }
    return v
  }

  static func isGUID(_ text: String) -> Bool {
    UUID(uuidString: text.trimmingCharacters(in: CharacterSet(charactersIn: "{}"))) != nil
  }
}
