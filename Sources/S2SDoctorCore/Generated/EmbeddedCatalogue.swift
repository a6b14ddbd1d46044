// GENERATED from Checks/ by scripts/embed.py. Do not edit: run `make generate`.
// swift-format-ignore-file

enum EmbeddedCatalogue {
  static let files: [(path: String, contents: String)] = [
    (
      "bc.admin/check.yaml",
      #"""
id: bc.admin
title: The admin center API accepts the app
rationale: >-
  Listing environments through the admin center API needs AdminCenter.ReadWrite.All and the app on the Authorized Microsoft Entra apps page.
requires: [token.app-only, token.audience, token.tenant]
reasons:
  - admin.app-not-authorized
  - bc.environment-not-found
  - bc.throttled
  - bc.unavailable
  - bc.server-error
  - bc.unknown-error
  - network.dns-failed
  - network.connection-refused
  - network.timeout
  - network.tls-untrusted
  - network.proxy-auth-required
  - network.unexpected-response
scope: admin
"""# + "\n"
    ),
    (
      "bc.automation/check.yaml",
      #"""
id: bc.automation
title: The automation API accepts the app
rationale: >-
  Automation APIs (extensions, users, permission sets) need Automation.ReadWrite.All and the D365 AUTOMATION / EXTEN. MGT. - ADMIN permission sets.
requires: [bc.companies]
reasons:
  - bc.automation-permission-missing
  - bc.endpoint-not-found
  - bc.throttled
  - bc.unavailable
  - bc.server-error
  - bc.unknown-error
  - network.dns-failed
  - network.connection-refused
  - network.timeout
  - network.tls-untrusted
  - network.proxy-auth-required
  - network.unexpected-response
scope: automation
"""# + "\n"
    ),
    (
      "bc.companies/check.yaml",
      #"""
id: bc.companies
title: Business Central accepts the app and lists companies
rationale: >-
  Listing companies of the data API proves the app is registered and enabled in Business Central and can see data.
requires: [token.app-only, token.audience, token.tenant, token.roles]
reasons:
  - bc.app-not-accepted
  - bc.permission-missing
  - bc.no-companies-visible
  - bc.environment-not-found
  - bc.endpoint-not-found
  - bc.tenant-unavailable
  - bc.company-not-found
  - bc.throttled
  - bc.unavailable
  - bc.server-error
  - bc.unknown-error
  - onprem.audience-not-valid
  - onprem.tenant-parameter-missing
  - onprem.not-entra-auth
  - onprem.metadata-tenant-mismatch
  - onprem.version-unsupported
  - onprem.api-disabled
  - network.dns-failed
  - network.connection-refused
  - network.timeout
  - network.tls-untrusted
  - network.proxy-auth-required
  - network.unexpected-response
scope: always
"""# + "\n"
    ),
    (
      "bc.company/check.yaml",
      #"""
id: bc.company
title: The named company is visible
rationale: >-
  Calls that name a company fail when the company name or id is wrong or the app has no access to it.
requires: [bc.companies]
reasons:
  - bc.company-not-found
scope: company
"""# + "\n"
    ),
    (
      "bc.custom-api/check.yaml",
      #"""
id: bc.custom-api
title: The custom API route answers
rationale: >-
  A custom API is reached at /api/publisher/group/version; a wrong route or a missing extension answers 'No HTTP resource was found'.
requires: [bc.companies]
reasons:
  - bc.endpoint-not-found
  - bc.permission-missing
  - bc.throttled
  - bc.unavailable
  - bc.server-error
  - bc.unknown-error
  - network.dns-failed
  - network.connection-refused
  - network.timeout
  - network.tls-untrusted
  - network.proxy-auth-required
  - network.unexpected-response
scope: api-path
"""# + "\n"
    ),
    (
      "catalogue.yaml",
      #"""
# The order of reason files (explain ties) and of checks (report order).
reasons: [input, network, entra, token, bc, onprem, consent, registration]
checks:
  - input.tenant
  - input.client-id
  - input.credential
  - input.target
  - input.redirect-uri
  - entra.tenant
  - entra.token
  - registration.read
  - registration.credentials
  - registration.service-principal
  - registration.permissions
  - registration.redirect-uri
  - registration.audience
  - token.app-only
  - token.audience
  - token.tenant
  - token.roles
  - token.clock
  - onprem.server-config
  - onprem.server-log
  - bc.companies
  - bc.company
  - bc.automation
  - bc.custom-api
  - bc.admin
"""# + "\n"
    ),
    (
      "entra.tenant/check.yaml",
      #"""
id: entra.tenant
title: The tenant resolves in Entra ID
rationale: >-
  OpenID discovery proves the tenant exists in this cloud and yields its tenant GUID, which the token must carry.
requires: [input.tenant]
reasons:
  - entra.tenant-not-found
  - entra.tenant-in-other-cloud
  - entra.throttled
  - entra.unavailable
  - network.dns-failed
  - network.connection-refused
  - network.timeout
  - network.tls-untrusted
  - network.proxy-auth-required
  - network.unexpected-response
scope: always
"""# + "\n"
    ),
    (
      "entra.token/check.yaml",
      #"""
id: entra.token
title: Entra ID issues a token for Business Central
rationale: >-
  The client credentials request proves that the client ID, the credential and the tenant fit together.
requires: [entra.tenant, input.client-id, input.credential]
reasons:
  - entra.tenant-not-found
  - entra.tenant-in-other-cloud
  - entra.tenant-not-specified
  - entra.app-not-found
  - entra.secret-invalid
  - entra.secret-expired
  - entra.credential-missing
  - entra.scope-invalid
  - entra.resource-not-found
  - entra.app-disabled
  - entra.conditional-access
  - entra.certificate-rejected
  - entra.throttled
  - entra.unavailable
  - entra.unknown-error
  - network.dns-failed
  - network.connection-refused
  - network.timeout
  - network.tls-untrusted
  - network.proxy-auth-required
  - network.unexpected-response
scope: always
"""# + "\n"
    ),
    (
      "input.client-id/check.yaml",
      #"""
id: input.client-id
title: The client ID is an Application (client) ID
rationale: >-
  The token request names the app by its Application (client) ID, a GUID from the app registration's Overview page.
requires: []
reasons:
  - input.client-id-invalid
scope: always
"""# + "\n"
    ),
    (
      "input.credential/check.yaml",
      #"""
id: input.credential
title: A credential is present and looks intact
rationale: >-
  A secret pasted with stray characters, or the Secret ID instead of its Value, fails at Entra ID with an error that does not say so.
requires: []
reasons:
  - input.secret-missing
  - input.secret-looks-like-id
  - input.secret-has-stray-characters
  - input.certificate-invalid
scope: always
"""# + "\n"
    ),
    (
      "input.redirect-uri/check.yaml",
      #"""
id: input.redirect-uri
title: The redirect URI works for consent from Business Central
rationale: >-
  Granting consent from the Business Central web client only works when the registered redirect URI is exactly what Business Central sends.
requires: []
reasons:
  - input.redirect-uri-invalid
  - input.redirect-uri-not-oauthlanding
  - input.redirect-uri-default-port
  - input.redirect-uri-online-mismatch
scope: redirect-uri
"""# + "\n"
    ),
    (
      "input.target/check.yaml",
      #"""
id: input.target
title: The environment or server address is valid
rationale: >-
  Business Central online is addressed by environment name; on-premises by the server instance URL.
requires: []
reasons:
  - input.environment-invalid
  - input.server-url-invalid
  - network.cleartext-http
scope: always
"""# + "\n"
    ),
    (
      "input.tenant/check.yaml",
      #"""
id: input.tenant
title: The tenant is a usable identifier
rationale: >-
  Client credentials need one specific tenant, as a Directory (tenant) ID GUID or a verified domain; placeholders, URLs and /common cannot work.
requires: []
reasons:
  - input.tenant-invalid
  - input.tenant-not-specific
scope: always
"""# + "\n"
    ),
    (
      "links.yaml",
      #"""
# Documentation links used by the failure reasons in reasons/*.yaml (alias: https URL).
# The per-code lookup link (https://login.microsoftonline.com/error?code=N) is built in code.

# Microsoft Entra ID: identity platform
entra-error-codes: https://learn.microsoft.com/entra/identity-platform/reference-error-codes
entra-client-credentials: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
entra-admin-consent-v2: https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
entra-add-credentials: https://learn.microsoft.com/entra/identity-platform/how-to-add-credentials
entra-certificate-credentials: https://learn.microsoft.com/entra/identity-platform/certificate-credentials
entra-access-tokens: https://learn.microsoft.com/entra/identity-platform/access-tokens
entra-access-token-claims: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
entra-optional-claims: https://learn.microsoft.com/entra/identity-platform/optional-claims-reference
entra-reply-url: https://learn.microsoft.com/entra/identity-platform/reply-url
entra-national-clouds: https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud

# Microsoft Entra ID: administration
entra-grant-admin-consent: https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent
entra-workload-identity-ca: https://learn.microsoft.com/entra/identity/conditional-access/workload-identity

# Microsoft Entra ID: troubleshooting articles
tshoot-aadsts7000218: https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/confidential-client-application-authentication-error-aadsts7000218
tshoot-aadsts500011: https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts500011-resource-principal-not-found
tshoot-aadsts7000112: https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts7000112-application-is-disabled
tshoot-aadsts50011: https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50011-redirect-uri-mismatch
tshoot-aadsts650056: https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts650056-misconfigured-app

# Microsoft Graph (partner pre-consent)
graph-csp-preconsent: https://learn.microsoft.com/graph/auth-cloudsolutionprovider

# Microsoft 365 network endpoints (login.microsoftonline.com and friends)
m365-endpoints: https://learn.microsoft.com/microsoft-365/enterprise/urls-and-ip-address-ranges

# Business Central: service-to-service and automation
bc-s2s: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/automation-apis-using-s2s-authentication
bc-automation-apis: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/itpro-introduction-to-automation-apis
bc-oauth-web-services: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/authenticate-web-services-using-oauth
bc-telemetry-authorization: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/telemetry-authorization-trace

# Business Central: API routes and errors
bc-api-endpoint-structure: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/api-endpoint-structure
bc-api-endpoints: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/endpoints-apis-for-dynamics
bc-custom-api: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/developer/devenv-develop-custom-api
bc-error-codes: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/dynamics-error-codes
bc-web-service-troubleshooting: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/web-service-troubleshooting
bc-rate-limits: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/dynamics-rate-limits
bc-web-services: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/web-services

# Business Central: admin center API
bc-admin-center-api: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/administration-center-api
bc-admin-center-api-environments: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/administration-center-api_environments
bc-admin-center-api-authorized-apps: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/administration-center-api_authorizedaadapps
bc-partner-access: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/tenant-admin-center-manage-access

# Business Central: on-premises server
bc-onprem-openid-connect: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/authenticating-users-with-azure-ad-openid-connect
bc-onprem-ws-federation: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/authenticating-users-with-azure-active-directory
bc-server-settings: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/server-instance-settings
bc-configure-web-server: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/configure-web-server
bc-enable-apis-onprem: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/enabling-apis-for-dynamics-nav
bc-register-app-azure: https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/register-app-azure

# Microsoft Graph: reading and changing the registration
graph-application: https://learn.microsoft.com/graph/api/resources/application
graph-serviceprincipal-get: https://learn.microsoft.com/graph/api/serviceprincipal-get
graph-errors: https://learn.microsoft.com/graph/errors
entra-supported-accounts: https://learn.microsoft.com/entra/identity-platform/supported-accounts-validation
entra-multitenant: https://learn.microsoft.com/entra/identity-platform/howto-convert-app-to-be-multi-tenant
"""# + "\n"
    ),
    (
      "onprem.server-config/check.yaml",
      #"""
# Runs when --server-config is given, also when no token could be had (it then requires the
# standard audience https://api.businesscentral.dynamics.com and compares no tenant).
#
# Fixtures: named <expected outcome>--<anything>.<any extension>. The fixture test checks each
# with a token whose aud is https://api.businesscentral.dynamics.com and whose tid is
# 72f988bf-86f1-41af-91ab-2d7cd011db47, --redirect-uri https://bc.contoso.com/BC/OAuthLanding.htm
# and no --server-tenant.
id: onprem.server-config
title: The server instance's configuration accepts S2S tokens
rationale: >-
  An on-premises server accepts an app's token only when it uses Entra authentication, trusts the token's tenant and
  lists the token's exact aud in ValidAudiences; API calls also need the API and OData endpoints switched on, a
  version with S2S support, and a tenant on multitenant servers.
requires: []
reasons:
  - onprem.audience-not-valid
  - onprem.not-entra-auth
  - onprem.metadata-tenant-mismatch
  - onprem.api-disabled
  - input.redirect-uri-not-oauthlanding
  - input.redirect-uri-default-port
  - onprem.redirect-uri-mismatch
  - onprem.version-unsupported
  - onprem.tenant-parameter-missing
scope: server-config
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.api-disabled--customsettings.config",
      #"""
<?xml version="1.0" encoding="utf-8"?>
<appSettings>
  <add key="NetworkProtocol" value="Default" />
  <!--
    Name of the database server to connect to.
  -->
  <add key="DatabaseServer" value="SQL01" />
  <add key="DatabaseInstance" value="" />
  <add key="DatabaseName" value="BC240" />
  <!--
    Name of the Microsoft Dynamics NAV Server instance to connect
    to (for client) or listen on (for server).
  -->
  <add key="ServerInstance" value="BC240" />
  <add key="ClientServicesPort" value="7085" />
  <add key="SOAPServicesPort" value="7047" />
  <add key="ODataServicesPort" value="7048" />
  <add key="ManagementServicesPort" value="7045" />
  <add key="DeveloperServicesPort" value="7049" />
  <add key="SOAPServicesEnabled" value="true" />
  <add key="ODataServicesEnabled" value="true" />
  <!--
    Configures the server to support API web services.
  -->
  <add key="ApiServicesEnabled" value="false" />
  <add key="PublicODataBaseUrl" value="https://bc.contoso.com:7048/BC240/ODataV4/" />
  <add key="PublicSOAPBaseUrl" value="https://bc.contoso.com:7047/BC240/WS/" />
  <!--
    The public URL for Web Clients to access the Web Server.
    The url must have the following format:
         http[s]://<hostname>:<port>/<nav-instance>/Webclient/
  -->
  <add key="PublicWebBaseUrl" value="https://bc.contoso.com/BC/" />
  <!--
    The type of client credential used for authentication.
    Possible values: Windows, UserName, NavUserPassword, AccessControlService
  -->
  <add key="ClientServicesCredentialType" value="AccessControlService" />
  <!--
    Microsoft Azure Active Directory and other identity providers support openid metadata.
    It typically has the following format:
       https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-configuration
  -->
  <add key="ADOpenIdMetadataLocation" value="https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration" />
  <!--
    Specifies the valid audiences (separated by semicolons) that tokens must have.
  -->
  <add key="ValidAudiences" value="0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com" />
  <add key="AppIdUri" value="" />
  <add key="WSFederationLoginEndpoint" value="" />
  <add key="AzureActiveDirectoryClientId" value="" />
  <add key="AzureActiveDirectoryClientSecret" value="" />
  <add key="ProhibitedReportServerPrinters" value="[&quot;Microsoft Print to PDF&quot;,&quot;Microsoft XPS Document Writer&quot;]" />
  <add key="ExtendedSecurityTokenLifetime" value="8" />
  <!--
    Specifies whether this is a multitenant server.
    When this settings is enabled multiple tenants can be mounted on the server.
  -->
  <add key="Multitenant" value="false" />
</appSettings>
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.api-disabled--hashtable.json",
      #"""
{
    "NetworkProtocol": "Default",
    "DatabaseServer": "SQL01",
    "DatabaseInstance": "",
    "DatabaseName": "BC240",
    "ServerInstance": "BC240",
    "ClientServicesPort": "7085",
    "SOAPServicesPort": "7047",
    "ODataServicesPort": "7048",
    "ManagementServicesPort": "7045",
    "DeveloperServicesPort": "7049",
    "SOAPServicesEnabled": true,
    "ApiServicesEnabled": true,
    "PublicODataBaseUrl": "https://bc.contoso.com:7048/BC240/ODataV4/",
    "PublicSOAPBaseUrl": "https://bc.contoso.com:7047/BC240/WS/",
    "PublicWebBaseUrl": "https://bc.contoso.com/BC/",
    "ClientServicesCredentialType": "AccessControlService",
    "ADOpenIdMetadataLocation": "https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration",
    "ValidAudiences": "0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com",
    "AppIdUri": "",
    "WSFederationLoginEndpoint": "",
    "AzureActiveDirectoryClientId": "",
    "AzureActiveDirectoryClientSecret": "",
    "ProhibitedReportServerPrinters": "[\"Microsoft Print to PDF\",\"Microsoft XPS Document Writer\"]",
    "ExtendedSecurityTokenLifetime": "8",
    "Multitenant": false
}
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.audience-not-valid--customsettings.config",
      #"""
<?xml version="1.0" encoding="utf-8"?>
<appSettings>
  <add key="NetworkProtocol" value="Default" />
  <!--
    Name of the database server to connect to.
  -->
  <add key="DatabaseServer" value="SQL01" />
  <add key="DatabaseInstance" value="" />
  <add key="DatabaseName" value="BC240" />
  <!--
    Name of the Microsoft Dynamics NAV Server instance to connect
    to (for client) or listen on (for server).
  -->
  <add key="ServerInstance" value="BC240" />
  <add key="ClientServicesPort" value="7085" />
  <add key="SOAPServicesPort" value="7047" />
  <add key="ODataServicesPort" value="7048" />
  <add key="ManagementServicesPort" value="7045" />
  <add key="DeveloperServicesPort" value="7049" />
  <add key="SOAPServicesEnabled" value="true" />
  <add key="ODataServicesEnabled" value="true" />
  <!--
    Configures the server to support API web services.
  -->
  <add key="ApiServicesEnabled" value="true" />
  <add key="PublicODataBaseUrl" value="https://bc.contoso.com:7048/BC240/ODataV4/" />
  <add key="PublicSOAPBaseUrl" value="https://bc.contoso.com:7047/BC240/WS/" />
  <!--
    The public URL for Web Clients to access the Web Server.
    The url must have the following format:
         http[s]://<hostname>:<port>/<nav-instance>/Webclient/
  -->
  <add key="PublicWebBaseUrl" value="https://bc.contoso.com/BC/" />
  <!--
    The type of client credential used for authentication.
    Possible values: Windows, UserName, NavUserPassword, AccessControlService
  -->
  <add key="ClientServicesCredentialType" value="AccessControlService" />
  <!--
    Microsoft Azure Active Directory and other identity providers support openid metadata.
    It typically has the following format:
       https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-configuration
  -->
  <add key="ADOpenIdMetadataLocation" value="https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration" />
  <!--
    Specifies the valid audiences (separated by semicolons) that tokens must have.
  -->
  <add key="ValidAudiences" value="0fc72ef2-0aa3-4455-b408-7adf15caafd8" />
  <add key="AppIdUri" value="" />
  <add key="WSFederationLoginEndpoint" value="" />
  <add key="AzureActiveDirectoryClientId" value="" />
  <add key="AzureActiveDirectoryClientSecret" value="" />
  <add key="ProhibitedReportServerPrinters" value="[&quot;Microsoft Print to PDF&quot;,&quot;Microsoft XPS Document Writer&quot;]" />
  <add key="ExtendedSecurityTokenLifetime" value="8" />
  <!--
    Specifies whether this is a multitenant server.
    When this settings is enabled multiple tenants can be mounted on the server.
  -->
  <add key="Multitenant" value="false" />
</appSettings>
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.audience-not-valid--trailing-slash.txt",
      #"""
PS C:\> Get-NAVServerConfiguration -ServerInstance BC240

key                              value
---                              -----
ADOpenIdMetadataLocation         https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration
ApiServicesEnabled               true
AppIdUri                         
AzureActiveDirectoryClientId     
AzureActiveDirectoryClientSecret 
ClientServicesCredentialType     AccessControlService
ClientServicesPort               7085
DatabaseInstance                 
DatabaseName                     BC240
DatabaseServer                   SQL01
DeveloperServicesPort            7049
ExtendedSecurityTokenLifetime    8
ManagementServicesPort           7045
Multitenant                      false
NetworkProtocol                  Default
ODataServicesEnabled             true
ODataServicesPort                7048
ProhibitedReportServerPrinters   ["Microsoft Print to PDF","Microsoft XPS Document Writer"]
PublicODataBaseUrl               https://bc.contoso.com:7048/BC240/ODataV4/
PublicSOAPBaseUrl                https://bc.contoso.com:7047/BC240/WS/
PublicWebBaseUrl                 https://bc.contoso.com/BC/
ServerInstance                   BC240
SOAPServicesEnabled              true
SOAPServicesPort                 7047
ValidAudiences                   0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com/
WSFederationLoginEndpoint        

"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.metadata-tenant-mismatch--convertto-json.json",
      #"""
[
    {
        "key":  "ADOpenIdMetadataLocation",
        "value":  "https://login.microsoftonline.com/c0ffee00-1234-4abc-8def-0123456789ab/v2.0/.well-known/openid-configuration"
    },
    {
        "key":  "ApiServicesEnabled",
        "value":  "true"
    },
    {
        "key":  "AppIdUri",
        "value":  ""
    },
    {
        "key":  "AzureActiveDirectoryClientId",
        "value":  ""
    },
    {
        "key":  "AzureActiveDirectoryClientSecret",
        "value":  ""
    },
    {
        "key":  "ClientServicesCredentialType",
        "value":  "AccessControlService"
    },
    {
        "key":  "ClientServicesPort",
        "value":  "7085"
    },
    {
        "key":  "DatabaseInstance",
        "value":  ""
    },
    {
        "key":  "DatabaseName",
        "value":  "BC240"
    },
    {
        "key":  "DatabaseServer",
        "value":  "SQL01"
    },
    {
        "key":  "DeveloperServicesPort",
        "value":  "7049"
    },
    {
        "key":  "ExtendedSecurityTokenLifetime",
        "value":  "8"
    },
    {
        "key":  "ManagementServicesPort",
        "value":  "7045"
    },
    {
        "key":  "Multitenant",
        "value":  "false"
    },
    {
        "key":  "NetworkProtocol",
        "value":  "Default"
    },
    {
        "key":  "ODataServicesEnabled",
        "value":  "true"
    },
    {
        "key":  "ODataServicesPort",
        "value":  "7048"
    },
    {
        "key":  "ProhibitedReportServerPrinters",
        "value":  "[\"Microsoft Print to PDF\",\"Microsoft XPS Document Writer\"]"
    },
    {
        "key":  "PublicODataBaseUrl",
        "value":  "https://bc.contoso.com:7048/BC240/ODataV4/"
    },
    {
        "key":  "PublicSOAPBaseUrl",
        "value":  "https://bc.contoso.com:7047/BC240/WS/"
    },
    {
        "key":  "PublicWebBaseUrl",
        "value":  "https://bc.contoso.com/BC/"
    },
    {
        "key":  "ServerInstance",
        "value":  "BC240"
    },
    {
        "key":  "SOAPServicesEnabled",
        "value":  "true"
    },
    {
        "key":  "SOAPServicesPort",
        "value":  "7047"
    },
    {
        "key":  "ValidAudiences",
        "value":  "0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com"
    },
    {
        "key":  "WSFederationLoginEndpoint",
        "value":  ""
    }
]
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.metadata-tenant-mismatch--customsettings.config",
      #"""
<?xml version="1.0" encoding="utf-8"?>
<appSettings>
  <add key="NetworkProtocol" value="Default" />
  <!--
    Name of the database server to connect to.
  -->
  <add key="DatabaseServer" value="SQL01" />
  <add key="DatabaseInstance" value="" />
  <add key="DatabaseName" value="BC240" />
  <!--
    Name of the Microsoft Dynamics NAV Server instance to connect
    to (for client) or listen on (for server).
  -->
  <add key="ServerInstance" value="BC240" />
  <add key="ClientServicesPort" value="7085" />
  <add key="SOAPServicesPort" value="7047" />
  <add key="ODataServicesPort" value="7048" />
  <add key="ManagementServicesPort" value="7045" />
  <add key="DeveloperServicesPort" value="7049" />
  <add key="SOAPServicesEnabled" value="true" />
  <add key="ODataServicesEnabled" value="true" />
  <!--
    Configures the server to support API web services.
  -->
  <add key="ApiServicesEnabled" value="true" />
  <add key="PublicODataBaseUrl" value="https://bc.contoso.com:7048/BC240/ODataV4/" />
  <add key="PublicSOAPBaseUrl" value="https://bc.contoso.com:7047/BC240/WS/" />
  <!--
    The public URL for Web Clients to access the Web Server.
    The url must have the following format:
         http[s]://<hostname>:<port>/<nav-instance>/Webclient/
  -->
  <add key="PublicWebBaseUrl" value="https://bc.contoso.com/BC/" />
  <!--
    The type of client credential used for authentication.
    Possible values: Windows, UserName, NavUserPassword, AccessControlService
  -->
  <add key="ClientServicesCredentialType" value="AccessControlService" />
  <!--
    Microsoft Azure Active Directory and other identity providers support openid metadata.
    It typically has the following format:
       https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-configuration
  -->
  <add key="ADOpenIdMetadataLocation" value="https://login.microsoftonline.com/c0ffee00-1234-4abc-8def-0123456789ab/.well-known/openid-configuration" />
  <!--
    Specifies the valid audiences (separated by semicolons) that tokens must have.
  -->
  <add key="ValidAudiences" value="0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com" />
  <add key="AppIdUri" value="" />
  <add key="WSFederationLoginEndpoint" value="" />
  <add key="AzureActiveDirectoryClientId" value="" />
  <add key="AzureActiveDirectoryClientSecret" value="" />
  <add key="ProhibitedReportServerPrinters" value="[&quot;Microsoft Print to PDF&quot;,&quot;Microsoft XPS Document Writer&quot;]" />
  <add key="ExtendedSecurityTokenLifetime" value="8" />
  <!--
    Specifies whether this is a multitenant server.
    When this settings is enabled multiple tenants can be mounted on the server.
  -->
  <add key="Multitenant" value="false" />
</appSettings>
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.not-entra-auth--customsettings.config",
      #"""
<?xml version="1.0" encoding="utf-8"?>
<appSettings>
  <add key="NetworkProtocol" value="Default" />
  <!--
    Name of the database server to connect to.
  -->
  <add key="DatabaseServer" value="SQL01" />
  <add key="DatabaseInstance" value="" />
  <add key="DatabaseName" value="BC240" />
  <!--
    Name of the Microsoft Dynamics NAV Server instance to connect
    to (for client) or listen on (for server).
  -->
  <add key="ServerInstance" value="BC240" />
  <add key="ClientServicesPort" value="7085" />
  <add key="SOAPServicesPort" value="7047" />
  <add key="ODataServicesPort" value="7048" />
  <add key="ManagementServicesPort" value="7045" />
  <add key="DeveloperServicesPort" value="7049" />
  <add key="SOAPServicesEnabled" value="true" />
  <add key="ODataServicesEnabled" value="true" />
  <!--
    Configures the server to support API web services.
  -->
  <add key="ApiServicesEnabled" value="true" />
  <add key="PublicODataBaseUrl" value="https://bc.contoso.com:7048/BC240/ODataV4/" />
  <add key="PublicSOAPBaseUrl" value="https://bc.contoso.com:7047/BC240/WS/" />
  <!--
    The public URL for Web Clients to access the Web Server.
    The url must have the following format:
         http[s]://<hostname>:<port>/<nav-instance>/Webclient/
  -->
  <add key="PublicWebBaseUrl" value="https://bc.contoso.com/BC/" />
  <!--
    The type of client credential used for authentication.
    Possible values: Windows, UserName, NavUserPassword, AccessControlService
  -->
  <add key="ClientServicesCredentialType" value="NavUserPassword" />
  <!--
    Microsoft Azure Active Directory and other identity providers support openid metadata.
    It typically has the following format:
       https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-configuration
  -->
  <add key="ADOpenIdMetadataLocation" value="https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration" />
  <!--
    Specifies the valid audiences (separated by semicolons) that tokens must have.
  -->
  <add key="ValidAudiences" value="0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com" />
  <add key="AppIdUri" value="" />
  <add key="WSFederationLoginEndpoint" value="" />
  <add key="AzureActiveDirectoryClientId" value="" />
  <add key="AzureActiveDirectoryClientSecret" value="" />
  <add key="ProhibitedReportServerPrinters" value="[&quot;Microsoft Print to PDF&quot;,&quot;Microsoft XPS Document Writer&quot;]" />
  <add key="ExtendedSecurityTokenLifetime" value="8" />
  <!--
    Specifies whether this is a multitenant server.
    When this settings is enabled multiple tenants can be mounted on the server.
  -->
  <add key="Multitenant" value="false" />
</appSettings>
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.redirect-uri-mismatch--customsettings.config",
      #"""
<?xml version="1.0" encoding="utf-8"?>
<appSettings>
  <add key="NetworkProtocol" value="Default" />
  <!--
    Name of the database server to connect to.
  -->
  <add key="DatabaseServer" value="SQL01" />
  <add key="DatabaseInstance" value="" />
  <add key="DatabaseName" value="BC240" />
  <!--
    Name of the Microsoft Dynamics NAV Server instance to connect
    to (for client) or listen on (for server).
  -->
  <add key="ServerInstance" value="BC240" />
  <add key="ClientServicesPort" value="7085" />
  <add key="SOAPServicesPort" value="7047" />
  <add key="ODataServicesPort" value="7048" />
  <add key="ManagementServicesPort" value="7045" />
  <add key="DeveloperServicesPort" value="7049" />
  <add key="SOAPServicesEnabled" value="true" />
  <add key="ODataServicesEnabled" value="true" />
  <!--
    Configures the server to support API web services.
  -->
  <add key="ApiServicesEnabled" value="true" />
  <add key="PublicODataBaseUrl" value="https://bc.contoso.com:7048/BC240/ODataV4/" />
  <add key="PublicSOAPBaseUrl" value="https://bc.contoso.com:7047/BC240/WS/" />
  <!--
    The public URL for Web Clients to access the Web Server.
    The url must have the following format:
         http[s]://<hostname>:<port>/<nav-instance>/Webclient/
  -->
  <add key="PublicWebBaseUrl" value="https://bc01.contoso.local/BC240/" />
  <!--
    The type of client credential used for authentication.
    Possible values: Windows, UserName, NavUserPassword, AccessControlService
  -->
  <add key="ClientServicesCredentialType" value="AccessControlService" />
  <!--
    Microsoft Azure Active Directory and other identity providers support openid metadata.
    It typically has the following format:
       https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-configuration
  -->
  <add key="ADOpenIdMetadataLocation" value="https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration" />
  <!--
    Specifies the valid audiences (separated by semicolons) that tokens must have.
  -->
  <add key="ValidAudiences" value="0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com" />
  <add key="AppIdUri" value="" />
  <add key="WSFederationLoginEndpoint" value="" />
  <add key="AzureActiveDirectoryClientId" value="" />
  <add key="AzureActiveDirectoryClientSecret" value="" />
  <add key="ProhibitedReportServerPrinters" value="[&quot;Microsoft Print to PDF&quot;,&quot;Microsoft XPS Document Writer&quot;]" />
  <add key="ExtendedSecurityTokenLifetime" value="8" />
  <!--
    Specifies whether this is a multitenant server.
    When this settings is enabled multiple tenants can be mounted on the server.
  -->
  <add key="Multitenant" value="false" />
</appSettings>
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.tenant-parameter-missing--customsettings.config",
      #"""
<?xml version="1.0" encoding="utf-8"?>
<appSettings>
  <add key="NetworkProtocol" value="Default" />
  <!--
    Name of the database server to connect to.
  -->
  <add key="DatabaseServer" value="SQL01" />
  <add key="DatabaseInstance" value="" />
  <add key="DatabaseName" value="BC240" />
  <!--
    Name of the Microsoft Dynamics NAV Server instance to connect
    to (for client) or listen on (for server).
  -->
  <add key="ServerInstance" value="BC240" />
  <add key="ClientServicesPort" value="7085" />
  <add key="SOAPServicesPort" value="7047" />
  <add key="ODataServicesPort" value="7048" />
  <add key="ManagementServicesPort" value="7045" />
  <add key="DeveloperServicesPort" value="7049" />
  <add key="SOAPServicesEnabled" value="true" />
  <add key="ODataServicesEnabled" value="true" />
  <!--
    Configures the server to support API web services.
  -->
  <add key="ApiServicesEnabled" value="true" />
  <add key="PublicODataBaseUrl" value="https://bc.contoso.com:7048/BC240/ODataV4/" />
  <add key="PublicSOAPBaseUrl" value="https://bc.contoso.com:7047/BC240/WS/" />
  <!--
    The public URL for Web Clients to access the Web Server.
    The url must have the following format:
         http[s]://<hostname>:<port>/<nav-instance>/Webclient/
  -->
  <add key="PublicWebBaseUrl" value="https://bc.contoso.com/BC/" />
  <!--
    The type of client credential used for authentication.
    Possible values: Windows, UserName, NavUserPassword, AccessControlService
  -->
  <add key="ClientServicesCredentialType" value="AccessControlService" />
  <!--
    Microsoft Azure Active Directory and other identity providers support openid metadata.
    It typically has the following format:
       https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-configuration
  -->
  <add key="ADOpenIdMetadataLocation" value="https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-configuration" />
  <!--
    Specifies the valid audiences (separated by semicolons) that tokens must have.
  -->
  <add key="ValidAudiences" value="0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com" />
  <add key="AppIdUri" value="" />
  <add key="WSFederationLoginEndpoint" value="" />
  <add key="AzureActiveDirectoryClientId" value="" />
  <add key="AzureActiveDirectoryClientSecret" value="" />
  <add key="ProhibitedReportServerPrinters" value="[&quot;Microsoft Print to PDF&quot;,&quot;Microsoft XPS Document Writer&quot;]" />
  <add key="ExtendedSecurityTokenLifetime" value="8" />
  <!--
    Specifies whether this is a multitenant server.
    When this settings is enabled multiple tenants can be mounted on the server.
  -->
  <add key="Multitenant" value="true" />
</appSettings>
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.tenant-parameter-missing--format-list.txt",
      #"""
PS C:\> Get-NAVServerConfiguration -ServerInstance BC240 | Format-List

key   : ADOpenIdMetadataLocation
value : https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-confi
        guration

key   : ApiServicesEnabled
value : true

key   : AppIdUri
value : 

key   : AzureActiveDirectoryClientId
value : 

key   : AzureActiveDirectoryClientSecret
value : 

key   : ClientServicesCredentialType
value : AccessControlService

key   : ClientServicesPort
value : 7085

key   : DatabaseInstance
value : 

key   : DatabaseName
value : BC240

key   : DatabaseServer
value : SQL01

key   : DeveloperServicesPort
value : 7049

key   : ExtendedSecurityTokenLifetime
value : 8

key   : ManagementServicesPort
value : 7045

key   : Multitenant
value : true

key   : NetworkProtocol
value : Default

key   : ODataServicesEnabled
value : true

key   : ODataServicesPort
value : 7048

key   : ProhibitedReportServerPrinters
value : ["Microsoft Print to PDF","Microsoft XPS Document Writer"]

key   : PublicODataBaseUrl
value : https://bc.contoso.com:7048/BC240/ODataV4/

key   : PublicSOAPBaseUrl
value : https://bc.contoso.com:7047/BC240/WS/

key   : PublicWebBaseUrl
value : https://bc.contoso.com/BC/

key   : ServerInstance
value : BC240

key   : SOAPServicesEnabled
value : true

key   : SOAPServicesPort
value : 7047

key   : ValidAudiences
value : 0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamic
        s.com

key   : WSFederationLoginEndpoint
value : 

"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.version-unsupported--customsettings.config",
      #"""
<?xml version="1.0" encoding="utf-8"?>
<!-- Business Central 18.4 (Platform 18.0.24515.0 + Application 18.4.24516.0) -->
<appSettings>
  <add key="NetworkProtocol" value="Default" />
  <!--
    Name of the database server to connect to.
  -->
  <add key="DatabaseServer" value="SQL01" />
  <add key="DatabaseInstance" value="" />
  <add key="DatabaseName" value="BC180" />
  <!--
    Name of the Microsoft Dynamics NAV Server instance to connect
    to (for client) or listen on (for server).
  -->
  <add key="ServerInstance" value="BC180" />
  <add key="ClientServicesPort" value="7085" />
  <add key="SOAPServicesPort" value="7047" />
  <add key="ODataServicesPort" value="7048" />
  <add key="ManagementServicesPort" value="7045" />
  <add key="DeveloperServicesPort" value="7049" />
  <add key="SOAPServicesEnabled" value="true" />
  <add key="ODataServicesEnabled" value="true" />
  <!--
    Configures the server to support API web services.
  -->
  <add key="ApiServicesEnabled" value="true" />
  <add key="PublicODataBaseUrl" value="https://bc.contoso.com:7048/BC240/ODataV4/" />
  <add key="PublicSOAPBaseUrl" value="https://bc.contoso.com:7047/BC240/WS/" />
  <!--
    The public URL for Web Clients to access the Web Server.
    The url must have the following format:
         http[s]://<hostname>:<port>/<nav-instance>/Webclient/
  -->
  <add key="PublicWebBaseUrl" value="https://bc.contoso.com/BC/" />
  <!--
    The type of client credential used for authentication.
    Possible values: Windows, UserName, NavUserPassword, AccessControlService
  -->
  <add key="ClientServicesCredentialType" value="AccessControlService" />
  <!--
    Specifies the valid audiences (separated by semicolons) that tokens must have.
  -->
  <add key="ValidAudiences" value="0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com" />
  <add key="AppIdUri" value="" />
  <add key="WSFederationLoginEndpoint" value="" />
  <add key="AzureActiveDirectoryClientId" value="" />
  <add key="AzureActiveDirectoryClientSecret" value="" />
  <add key="ProhibitedReportServerPrinters" value="[&quot;Microsoft Print to PDF&quot;,&quot;Microsoft XPS Document Writer&quot;]" />
  <add key="ExtendedSecurityTokenLifetime" value="8" />
  <!--
    Specifies whether this is a multitenant server.
    When this settings is enabled multiple tenants can be mounted on the server.
  -->
  <add key="Multitenant" value="false" />
  <!--
    The location of the federation metadata document, for example
       https://login.microsoftonline.com/<AAD TENANT ID>/FederationMetadata/2007-06/FederationMetadata.xml
  -->
  <add key="ClientServicesFederationMetadataLocation" value="https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/FederationMetadata/2007-06/FederationMetadata.xml" />
</appSettings>
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/onprem.version-unsupported--get-navserverinstance.txt",
      #"""
PS C:\> Get-NAVServerInstance -ServerInstance BC140 | Format-List

ServerInstance : MicrosoftDynamicsNavServer$BC140
DisplayName    : Dynamics 365 Business Central Server [BC140]
State          : Running
ServiceAccount : NT AUTHORITY\NETWORK SERVICE
Version        : 14.0.29537.0
Default        : True

PS C:\> Get-NAVServerConfiguration -ServerInstance BC140

key                                      value
---                                      -----
ApiServicesEnabled                       true
AppIdUri                                 
AzureActiveDirectoryClientId             
AzureActiveDirectoryClientSecret         
ClientServicesCredentialType             AccessControlService
ClientServicesFederationMetadataLocation https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/FederationMetadata/2007-06/FederationMetadata.xml
ClientServicesPort                       7085
DatabaseInstance                         
DatabaseName                             BC140
DatabaseServer                           SQL01
DeveloperServicesPort                    7049
ExtendedSecurityTokenLifetime            8
ManagementServicesPort                   7045
Multitenant                              false
NetworkProtocol                          Default
ODataServicesEnabled                     true
ODataServicesPort                        7048
ProhibitedReportServerPrinters           ["Microsoft Print to PDF","Microsoft XPS Document Writer"]
PublicODataBaseUrl                       https://bc.contoso.com:7048/BC240/ODataV4/
PublicSOAPBaseUrl                        https://bc.contoso.com:7047/BC240/WS/
PublicWebBaseUrl                         https://bc.contoso.com/BC/
ServerInstance                           BC140
SOAPServicesEnabled                      true
SOAPServicesPort                         7047
ValidAudiences                           0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com
WSFederationLoginEndpoint                

"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/passed--convertto-json.json",
      #"""
[
    {
        "key":  "ADOpenIdMetadataLocation",
        "value":  "https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration"
    },
    {
        "key":  "ApiServicesEnabled",
        "value":  "true"
    },
    {
        "key":  "AppIdUri",
        "value":  ""
    },
    {
        "key":  "AzureActiveDirectoryClientId",
        "value":  ""
    },
    {
        "key":  "AzureActiveDirectoryClientSecret",
        "value":  ""
    },
    {
        "key":  "ClientServicesCredentialType",
        "value":  "AccessControlService"
    },
    {
        "key":  "ClientServicesPort",
        "value":  "7085"
    },
    {
        "key":  "DatabaseInstance",
        "value":  ""
    },
    {
        "key":  "DatabaseName",
        "value":  "BC240"
    },
    {
        "key":  "DatabaseServer",
        "value":  "SQL01"
    },
    {
        "key":  "DeveloperServicesPort",
        "value":  "7049"
    },
    {
        "key":  "ExtendedSecurityTokenLifetime",
        "value":  "8"
    },
    {
        "key":  "ManagementServicesPort",
        "value":  "7045"
    },
    {
        "key":  "Multitenant",
        "value":  "false"
    },
    {
        "key":  "NetworkProtocol",
        "value":  "Default"
    },
    {
        "key":  "ODataServicesEnabled",
        "value":  "true"
    },
    {
        "key":  "ODataServicesPort",
        "value":  "7048"
    },
    {
        "key":  "ProhibitedReportServerPrinters",
        "value":  "[\"Microsoft Print to PDF\",\"Microsoft XPS Document Writer\"]"
    },
    {
        "key":  "PublicODataBaseUrl",
        "value":  "https://bc.contoso.com:7048/BC240/ODataV4/"
    },
    {
        "key":  "PublicSOAPBaseUrl",
        "value":  "https://bc.contoso.com:7047/BC240/WS/"
    },
    {
        "key":  "PublicWebBaseUrl",
        "value":  "https://bc.contoso.com/BC/"
    },
    {
        "key":  "ServerInstance",
        "value":  "BC240"
    },
    {
        "key":  "SOAPServicesEnabled",
        "value":  "true"
    },
    {
        "key":  "SOAPServicesPort",
        "value":  "7047"
    },
    {
        "key":  "ValidAudiences",
        "value":  "0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com"
    },
    {
        "key":  "WSFederationLoginEndpoint",
        "value":  ""
    }
]
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/passed--customsettings.config",
      #"""
<?xml version="1.0" encoding="utf-8"?>
<!-- Business Central 24.0 (Platform 24.0.16410.0 + Application 24.0.16410.18056) -->
<appSettings>
  <add key="NetworkProtocol" value="Default" />
  <!--
    Name of the database server to connect to.
  -->
  <add key="DatabaseServer" value="SQL01" />
  <add key="DatabaseInstance" value="" />
  <add key="DatabaseName" value="BC240" />
  <!--
    Name of the Microsoft Dynamics NAV Server instance to connect
    to (for client) or listen on (for server).
  -->
  <add key="ServerInstance" value="BC240" />
  <add key="ClientServicesPort" value="7085" />
  <add key="SOAPServicesPort" value="7047" />
  <add key="ODataServicesPort" value="7048" />
  <add key="ManagementServicesPort" value="7045" />
  <add key="DeveloperServicesPort" value="7049" />
  <add key="SOAPServicesEnabled" value="true" />
  <add key="ODataServicesEnabled" value="true" />
  <!--
    Configures the server to support API web services.
  -->
  <add key="ApiServicesEnabled" value="true" />
  <add key="PublicODataBaseUrl" value="https://bc.contoso.com:7048/BC240/ODataV4/" />
  <add key="PublicSOAPBaseUrl" value="https://bc.contoso.com:7047/BC240/WS/" />
  <!--
    The public URL for Web Clients to access the Web Server.
    The url must have the following format:
         http[s]://<hostname>:<port>/<nav-instance>/Webclient/
  -->
  <add key="PublicWebBaseUrl" value="https://bc.contoso.com/BC/" />
  <!--
    The type of client credential used for authentication.
    Possible values: Windows, UserName, NavUserPassword, AccessControlService
  -->
  <add key="ClientServicesCredentialType" value="AccessControlService" />
  <!--
    Microsoft Azure Active Directory and other identity providers support openid metadata.
    It typically has the following format:
       https://login.microsoftonline.com/{AADTENANTID}/.well-known/openid-configuration
  -->
  <add key="ADOpenIdMetadataLocation" value="https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration" />
  <!--
    Specifies the valid audiences (separated by semicolons) that tokens must have.
  -->
  <add key="ValidAudiences" value="0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com" />
  <add key="AppIdUri" value="" />
  <add key="WSFederationLoginEndpoint" value="" />
  <add key="AzureActiveDirectoryClientId" value="" />
  <add key="AzureActiveDirectoryClientSecret" value="" />
  <add key="ProhibitedReportServerPrinters" value="[&quot;Microsoft Print to PDF&quot;,&quot;Microsoft XPS Document Writer&quot;]" />
  <add key="ExtendedSecurityTokenLifetime" value="8" />
  <!--
    Specifies whether this is a multitenant server.
    When this settings is enabled multiple tenants can be mounted on the server.
  -->
  <add key="Multitenant" value="false" />
</appSettings>
"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/passed--format-list.txt",
      #"""
PS C:\> Get-NAVServerConfiguration -ServerInstance BC240 | Format-List

key   : ADOpenIdMetadataLocation
value : https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.
        well-known/openid-configuration

key   : ApiServicesEnabled
value : true

key   : AppIdUri
value : 

key   : AzureActiveDirectoryClientId
value : 

key   : AzureActiveDirectoryClientSecret
value : 

key   : ClientServicesCredentialType
value : AccessControlService

key   : ClientServicesPort
value : 7085

key   : DatabaseInstance
value : 

key   : DatabaseName
value : BC240

key   : DatabaseServer
value : SQL01

key   : DeveloperServicesPort
value : 7049

key   : ExtendedSecurityTokenLifetime
value : 8

key   : ManagementServicesPort
value : 7045

key   : Multitenant
value : false

key   : NetworkProtocol
value : Default

key   : ODataServicesEnabled
value : true

key   : ODataServicesPort
value : 7048

key   : ProhibitedReportServerPrinters
value : ["Microsoft Print to PDF","Microsoft XPS Document Writer"]

key   : PublicODataBaseUrl
value : https://bc.contoso.com:7048/BC240/ODataV4/

key   : PublicSOAPBaseUrl
value : https://bc.contoso.com:7047/BC240/WS/

key   : PublicWebBaseUrl
value : https://bc.contoso.com/BC/

key   : ServerInstance
value : BC240

key   : SOAPServicesEnabled
value : true

key   : SOAPServicesPort
value : 7047

key   : ValidAudiences
value : 0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamic
        s.com

key   : WSFederationLoginEndpoint
value : 

"""# + "\n"
    ),
    (
      "onprem.server-config/fixtures/passed--get-navserverconfiguration.txt",
      #"""
PS C:\> Get-NAVServerConfiguration -ServerInstance BC240

key                              value
---                              -----
ADOpenIdMetadataLocation         https://login.microsoftonline.com/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/.well-known/openid-configuration
ApiServicesEnabled               true
AppIdUri                         
AzureActiveDirectoryClientId     
AzureActiveDirectoryClientSecret 
ClientServicesCredentialType     AccessControlService
ClientServicesPort               7085
DatabaseInstance                 
DatabaseName                     BC240
DatabaseServer                   SQL01
DeveloperServicesPort            7049
ExtendedSecurityTokenLifetime    8
ManagementServicesPort           7045
Multitenant                      false
NetworkProtocol                  Default
ODataServicesEnabled             true
ODataServicesPort                7048
ProhibitedReportServerPrinters   ["Microsoft Print to PDF","Microsoft XPS Document Writer"]
PublicODataBaseUrl               https://bc.contoso.com:7048/BC240/ODataV4/
PublicSOAPBaseUrl                https://bc.contoso.com:7047/BC240/WS/
PublicWebBaseUrl                 https://bc.contoso.com/BC/
ServerInstance                   BC240
SOAPServicesEnabled              true
SOAPServicesPort                 7047
ValidAudiences                   0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com
WSFederationLoginEndpoint        

"""# + "\n"
    ),
    (
      "onprem.server-log/check.yaml",
      #"""
# Runs when --server-log is given. The reasons are listed in priority order: when the log holds
# several kinds of errors, the first listed is the diagnosis. A log line is matched with the text
# rules of these reasons (as `explain` does), so a new phrase belongs in Checks/reasons/.
#
# Fixtures: named <expected outcome>--<anything>.<any extension>.
id: onprem.server-log
title: The server's event log shows no rejected S2S tokens
rationale: >-
  When a server refuses a token it writes the reason to its event log: an audience missing from ValidAudiences, an
  untrusted issuer tenant, missing entitlements or an expired token. The log names the cause a 401 hides.
requires: []
reasons:
  - onprem.audience-not-valid
  - onprem.metadata-tenant-mismatch
  - token.roles-missing
  - onprem.token-lifetime-exceeded
  - token.clock-skew
scope: server-log
"""# + "\n"
    ),
    (
      "onprem.server-log/fixtures/onprem.audience-not-valid--event-viewer.txt",
      #"""
Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:00:01 AM
Event ID:      0
Task Category: None
Level:         Information
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Category: Service
ClientSessionId: 00000000-0000-0000-0000-000000000000
Message <ii>Service started successfully.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:00:05 AM
Event ID:      0
Task Category: None
Level:         Information
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Sql
Message <ii>A connection has been established. Database server: SQL01. Database name: BC240.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:02:17 AM
Event ID:      0
Task Category: None
Level:         Warning
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Runtime
Message <ii>The report 1306 took 00:00:12 to render.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:12:44 AM
Event ID:      0
Task Category: None
Level:         Warning
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Security
ClientSessionId: 53e29e65-d26d-49e2-aac2-0a66f6961f7f
Message <ii>The authentication failed: Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAudienceException: IDX10214: Audience validation failed. Audiences: 'https://api.businesscentral.dynamics.com/'. Did not match: validationParameters.ValidAudience: 'null' or validationParameters.ValidAudiences: '0fc72ef2-0aa3-4455-b408-7adf15caafd8'.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:13:02 AM
Event ID:      0
Task Category: None
Level:         Warning
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Security
ClientSessionId: 53e29e65-d26d-49e2-aac2-0a66f6961f7f
Message <ii>The authentication failed: Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAudienceException: IDX10214: Audience validation failed. Audiences: 'https://api.businesscentral.dynamics.com/'. Did not match: validationParameters.ValidAudience: 'null' or validationParameters.ValidAudiences: '0fc72ef2-0aa3-4455-b408-7adf15caafd8'.</ii>

"""# + "\n"
    ),
    (
      "onprem.server-log/fixtures/onprem.audience-not-valid--eventlog.csv",
      #"""
Level,Date and Time,Source,Event ID,Task Category
Information,5/18/2024 10:00:01 AM,MicrosoftDynamicsNavServer$BC240,0,None,"Server instance: BC240
Category: Service
Message <ii>Service started successfully.</ii>"
Warning,5/18/2024 10:12:44 AM,MicrosoftDynamicsNavServer$BC240,0,None,"Server instance: BC240
Category: Security
Message <ii>The authentication failed: Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAudienceException: IDX10214: Audience validation failed. Audiences: '996def3d-b36c-4153-8607-a6fd3c01b89f'. Did not match: validationParameters.ValidAudience: 'null' or validationParameters.ValidAudiences: '0fc72ef2-0aa3-4455-b408-7adf15caafd8;https://api.businesscentral.dynamics.com'.</ii>"
"""# + "\n"
    ),
    (
      "onprem.server-log/fixtures/onprem.audience-not-valid--mixed.txt",
      #"""
Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 11:01:12 AM
Event ID:      0
Task Category: None
Level:         Error
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Security
Message <ii>Authentication_InvalidCredentials: The Microsoft Entra application '2a4b6c8d-1e3f-4a5b-8c7d-9e0f1a2b3c4d' does not have any entitlements in Business Central.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:12:44 AM
Event ID:      0
Task Category: None
Level:         Warning
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Security
ClientSessionId: 53e29e65-d26d-49e2-aac2-0a66f6961f7f
Message <ii>The authentication failed: Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAudienceException: IDX10214: Audience validation failed. Audiences: 'https://api.businesscentral.dynamics.com/'. Did not match: validationParameters.ValidAudience: 'null' or validationParameters.ValidAudiences: '0fc72ef2-0aa3-4455-b408-7adf15caafd8'.</ii>

"""# + "\n"
    ),
    (
      "onprem.server-log/fixtures/onprem.metadata-tenant-mismatch--export-clixml.xml",
      #"""
<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0">
      <T>System.Diagnostics.Eventing.Reader.EventLogRecord</T>
    </TN>
    <Props>
      <I32 N="Id">0</I32>
      <S N="ProviderName">MicrosoftDynamicsNavServer$BC240</S>
      <DT N="TimeCreated">2024-05-18T10:15:09.1234567+02:00</DT>
      <S N="LevelDisplayName">Warning</S>
      <S N="Message">Server instance: BC240_x000D__x000A_Tenant ID:  default_x000D__x000A_Category: Security_x000D__x000A_Message &lt;ii&gt;The authentication failed: Microsoft.IdentityModel.Tokens.SecurityTokenInvalidIssuerException: IDX10205: Issuer validation failed. Issuer: 'https://sts.windows.net/5b7c9a2e-3f41-4d8a-9c61-0e2f7a4b8d13/'. Did not match: validationParameters.ValidIssuer: 'https://sts.windows.net/c0ffee00-1234-4abc-8def-0123456789ab/' or validationParameters.ValidIssuers: 'null'.&lt;/ii&gt;</S>
    </Props>
  </Obj>
</Objs>
"""# + "\n"
    ),
    (
      "onprem.server-log/fixtures/onprem.token-lifetime-exceeded--event-viewer.txt",
      #"""
Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC190
Date:          5/18/2024 12:30:00 PM
Event ID:      0
Task Category: None
Level:         Error
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC190
Tenant ID:  default
Category: Security
Message <ii>The SAML2 token is not valid because its validity period has ended.</ii>

"""# + "\n"
    ),
    (
      "onprem.server-log/fixtures/passed--event-viewer.txt",
      #"""
Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:00:01 AM
Event ID:      0
Task Category: None
Level:         Information
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Category: Service
ClientSessionId: 00000000-0000-0000-0000-000000000000
Message <ii>Service started successfully.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:00:05 AM
Event ID:      0
Task Category: None
Level:         Information
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Sql
Message <ii>A connection has been established. Database server: SQL01. Database name: BC240.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:02:17 AM
Event ID:      0
Task Category: None
Level:         Warning
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Runtime
Message <ii>The report 1306 took 00:00:12 to render.</ii>

"""# + "\n"
    ),
    (
      "onprem.server-log/fixtures/token.roles-missing--event-viewer.txt",
      #"""
Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:00:01 AM
Event ID:      0
Task Category: None
Level:         Information
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Category: Service
ClientSessionId: 00000000-0000-0000-0000-000000000000
Message <ii>Service started successfully.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:00:05 AM
Event ID:      0
Task Category: None
Level:         Information
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Sql
Message <ii>A connection has been established. Database server: SQL01. Database name: BC240.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 10:02:17 AM
Event ID:      0
Task Category: None
Level:         Warning
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Runtime
Message <ii>The report 1306 took 00:00:12 to render.</ii>

Log Name:      Application
Source:        MicrosoftDynamicsNavServer$BC240
Date:          5/18/2024 11:01:12 AM
Event ID:      0
Task Category: None
Level:         Error
Keywords:      Classic
User:          N/A
Computer:      BC01.contoso.local
Description:
Server instance: BC240
Tenant ID:  default
Category: Security
Message <ii>Authentication_InvalidCredentials: The Microsoft Entra application '2a4b6c8d-1e3f-4a5b-8c7d-9e0f1a2b3c4d' does not have any entitlements in Business Central.</ii>

"""# + "\n"
    ),
    (
      "onprem.server-log/fixtures/token.roles-missing--not-entitled.txt",
      #"""
[BC-EventLog] Server instance: BC
[BC-EventLog] Category: Security
[BC-EventLog] Message <ii>The application '2a4b6c8d-1e3f-4a5b-8c7d-9e0f1a2b3c4d' is not entitled to use this service.</ii>
"""# + "\n"
    ),
    (
      "reasons/bc.yaml",
      ##"""
# Reasons reported by Business Central online (data, automation and admin center APIs).
# Loaded before onprem.yaml: bc.app-not-accepted wins ties on Authentication_InvalidCredentials.

bc.app-not-accepted:
  summary: Business Central rejected a valid token because the app is not registered and enabled on its *Microsoft Entra Applications* page.
  why: >-
    Consent in Entra ID only lets the app obtain a token. Business Central additionally requires the client ID to be
    listed on *Microsoft Entra Applications* with State = Enabled; otherwise every call fails with 401
    Authentication_InvalidCredentials.
  fix: In Business Central, add the app's client ID on *Microsoft Entra Applications*, set State to Enabled and assign its permission sets.
  steps:
    - "Business Central web client > search *Microsoft Entra Applications* > New: enter the Client ID and a Description (it becomes the app's user name)."
    - "Set State = Enabled (needs the SUPER or SECURITY permission set); confirm that a user is created for the app."
    - "In the *User Permission Sets* part, add the sets the integration needs (for example D365 AUTOMATION, EXTEN. MGT. - ADMIN, or your extension's sets); SUPER cannot be assigned."
    - If the app is already listed and Enabled, decode the token and check that aud is https://api.businesscentral.dynamics.com and roles contains API.ReadWrite.All.
  whoFixes: bc-admin
  distinguish: "In BC, open *Microsoft Entra Applications* and find the client ID: if it is missing or its State is Disabled while the token has the right aud and roles, this is the cause."
  docs: [bc-s2s, bc-error-codes, bc-telemetry-authorization, bc-oauth-web-services]
  match:
    - bc: [Authentication_InvalidCredentials]
    - text:
        - "The server has rejected the client credentials"
        - "Client-Anmeldeinformationen abgelehnt"
        - "Servern godkände inte klientens referenser"
        - "user account is disabled in Business Central"
    - http: [401]
      endpoint: [bc-api, automation]
      boost: 2
    - text: ["user could not be authenticated or authorized"]
      endpoint: [bc-api, automation]
      boost: -15
    - text: ["The credentials provided are incorrect"]
      boost: -8
    - bc: [Unauthorized]
      endpoint: [bc-api, automation]
      boost: -20
    - http: [401]
      boost: -7

admin.app-not-authorized:
  summary: The admin center API refused the app; it is not on *Authorized Microsoft Entra apps* or lacks AdminCenter.ReadWrite.All consent.
  why: >-
    The Business Central admin center API accepts app-only tokens only from apps that an administrator authorized in
    the admin center and that have the AdminCenter.ReadWrite.All application permission with admin consent.
  fix: Add the app on the admin center's *Authorized Microsoft Entra apps* page and grant admin consent for AdminCenter.ReadWrite.All.
  steps:
    - "Business Central admin center > *Authorized Microsoft Entra apps* > Authorize Microsoft Entra app: enter the client ID and save."
    - "Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > API permissions > Add a permission > Microsoft APIs > Dynamics 365 Business Central > Application permissions > AdminCenter.ReadWrite.All."
    - Grant admin consent for <tenant> as a Cloud Application Administrator or higher (Dynamics 365 Administrator cannot consent), then request a new token.
  whoFixes: bc-admin
  distinguish: "Open *Authorized Microsoft Entra apps* in the BC admin center: if the client ID is not listed, or the token's roles lack AdminCenter.ReadWrite.All, this is the cause."
  docs: [bc-admin-center-api, bc-admin-center-api-authorized-apps]
  match:
    - http: [401, 403]
      endpoint: [admin]
      boost: 5
    - bc: [Authentication_InvalidCredentials]
      endpoint: [admin]
    - bc: [Unauthorized, Forbidden, AuthorizationFailed, Authorization_Failed]
      endpoint: [admin]
      boost: 5
    - text: ["not authorized to access the admin center", "admin center * not authorized", "Authorized Microsoft Entra apps", "is not authorized to call"]
      boost: 5

bc.permission-missing:
  summary: The app's Business Central user lacks the permissions for the object this call touches.
  why: >-
    An application account has only the permission sets assigned on its *Microsoft Entra Application Card*. A page,
    table or codeunit outside those sets makes the call fail (Internal_ServerError with a permissions message, or 403).
  fix: Assign the app the permission set that covers the object named in the error, on its *Microsoft Entra Application Card*.
  steps:
    - Read the object and permission type from the message (for example TableData Customer Read, or Page APIV2 - Customers Execute).
    - "Business Central > *Microsoft Entra Applications* > (the app) > *Microsoft Entra Application Card*: set State = Disabled, add the permission set in *User Permission Sets*, then set State = Enabled again."
    - "Use *Effective Permissions* for the app's user to confirm the object is now covered."
  whoFixes: bc-admin
  distinguish: "Open *Effective Permissions* for the app's BC user and look up the object the error names: if the needed permission (e.g. TableData Read, Page Execute) is missing, this is the cause."
  docs: [bc-s2s, bc-error-codes]
  match:
    - bc: [Internal_ServerError]
      text: &permission-sentences
        - "You do not have the following permissions"
        - "current permissions prevented the action"
        - "Sie haben nicht die folgenden Berechtigungen"
        - "Sie verfügen nicht über die folgenden Berechtigungen"
        - "De aktuelle rettigheder forhindrede handlingen"
        - "Du har ikke følgende tilladelser"
        - "Vous ne disposez pas des autorisations suivantes"
        - "Vous n'avez pas les autorisations suivantes"
        - "U hebt niet de volgende machtigingen"
        - "U beschikt niet over de volgende machtigingen"
        - "No tiene los siguientes permisos"
        - "Non si dispone delle seguenti autorizzazioni"
        - "Non disponi delle seguenti autorizzazioni"
        - "Du har inte följande behörigheter"
        - "Du har ikke følgende tillatelser"
        - "Sinulla ei ole seuraavia käyttöoikeuksia"
    - text: *permission-sentences
      boost: 5
    # Whatever the language, the message names the object as "TableData <table>: <permission>".
    - bc: [Internal_ServerError]
      text: ["TableData "]
    - http: [403]
      endpoint: [bc-api, automation]
    - http: [403]
      endpoint: [bc-api]
      boost: 10
    - text: ["does not have permission"]
      boost: -5
    - text: ["do not have * permission", "does not have * permission", "not have sufficient permission", "insufficient permission", "lack * permission", "not have the necessary permission", "not have the required permission", "no permission to", "permission denied", "Sorry, the current permissions", "machtigingen hebben de actie voorkomen", "Berechtigungen haben die Aktion verhindert", "autorisations actuelles ont empêché", "TableData * Read", "TableData * Insert", "TableData * Modify", "TableData * Delete", "Execute: Page", "Execute: Codeunit", "Execute: Report"]
      boost: -2
    - http: [400]
      endpoint: [bc-api, automation, onprem]
      boost: -5
    - http: [403]
      endpoint: [onprem, admin]
      boost: -5
    - http: [403]
      boost: -6

bc.automation-permission-missing:
  summary: The automation API refused the call because the app lacks the D365 AUTOMATION or EXTEN. MGT. - ADMIN permission sets.
  why: >-
    Automation endpoints (/api/microsoft/automation/) manage companies, users and extensions and need their own
    permission sets; an app set up only for data APIs can read data but cannot use them.
  fix: Assign D365 AUTOMATION (and EXTEN. MGT. - ADMIN for extension management) to the app on its *Microsoft Entra Application Card*.
  steps:
    - "Business Central > *Microsoft Entra Applications* > (the app): set State = Disabled."
    - In *User Permission Sets* add D365 AUTOMATION, and EXTEN. MGT. - ADMIN if the integration installs or uninstalls extensions.
    - Set State = Enabled again, and make sure the token's roles include Automation.ReadWrite.All.
  whoFixes: bc-admin
  distinguish: "Open the app's *Microsoft Entra Application Card*: if *User Permission Sets* lacks D365 AUTOMATION (or EXTEN. MGT. - ADMIN for extensions) while data API calls work, this is the cause."
  docs: [bc-s2s, bc-automation-apis]
  match:
    - bc: [Internal_ServerError]
      text:
        - "You do not have the following permissions"
        - "current permissions prevented the action"
        - "Sie haben nicht die folgenden Berechtigungen"
        - "De aktuelle rettigheder forhindrede handlingen"
      endpoint: [automation]
    - http: [403]
      endpoint: [automation]
      boost: 5
    - text: ["do not have * permission", "does not have * permission", "not have sufficient permission", "insufficient permission", "manage extensions", "not allowed to * extension", "permission to * extension", "current permissions prevented the action"]
      endpoint: [automation]
      boost: 10
    - text: ["permission to perform environment app operations", "doesn't have permission * app operations", "assigned the * EXTENSION MGT", "Exten. Mgt. - Admin", "D365 EXTENSION MGT", "D365 AUTOMATION permission set"]
      boost: 15
    - bc: [EnvironmentAppOperationFailed]
      boost: -5

bc.no-companies-visible:
  summary: The companies endpoint answered with an empty list, so the app can see no company in this environment.
  why: >-
    The call is authenticated, but the app's permission sets reach no company (or are restricted to a company that
    does not exist here), so every company-scoped API call will fail.
  fix: Assign the app permission sets without a company restriction (or for the right company) on its *Microsoft Entra Application Card*.
  steps:
    - "Business Central > *Microsoft Entra Applications* > (the app) > *User Permission Sets*: clear the Company column or set it to an existing company."
    - Call GET .../api/v2.0/companies again and confirm the list is not empty.
  whoFixes: bc-admin
  distinguish: "Call GET …/v2.0/{tenant}/{environment}/api/v2.0/companies with the app's token: if it answers 200 with an empty value array, the app reaches no company and this is the cause."
  docs: [bc-s2s, bc-api-endpoint-structure]
  match:
    - text: ["#companies\",\"value\":[]", "#companies\", \"value\": []", "#companies\",\"value\": []"]
    - text: ["no companies", "No company"]
      boost: -15

bc.environment-not-found:
  summary: No Business Central environment with this name exists for this tenant.
  why: >-
    The environment segment of the URL is misspelled, names an environment that was deleted or renamed, or belongs to
    another tenant than the one the token was issued for.
  fix: Copy the environment name exactly from the Business Central admin center (or the admin API) and use that in the URL.
  steps:
    - "Business Central admin center > Environments: copy the Name column of the environment."
    - "Or list them: GET https://api.businesscentral.dynamics.com/admin/v2.24/applications/BusinessCentral/environments (needs AdminCenter.ReadWrite.All)."
    - Check that the tenant in the URL and the token's tid are the tenant that owns the environment.
    - "Multitenant (partner) app: the customer's admin center setting Partner access can hide environments from your app; ask the customer to allow your tenant there."
  whoFixes: integration-developer
  distinguish: "List environments via GET https://api.businesscentral.dynamics.com/admin/v2.24/applications/BusinessCentral/environments or the admin center: if the URL's name is not there, this is the cause."
  docs: [bc-admin-center-api-environments, bc-api-endpoint-structure, bc-partner-access]
  match:
    - bc: [environmentNotFound, applicationTypeDoesNotExist]
    - http: [404]
      endpoint: [bc-api, automation]
    - bc: [NoEnvironment, EnvironmentNotFound, ResourceDoesNotExist]
      text: ["environment"]
      boost: 5
    - text: ["environment * does not exist", "environment * not found", "environment * could not be found", "environment * cannot be found", "no environment", "NoEnvironment", "environmentNotFound", "environment name * is not valid"]
    - http: [404]
      url: [environment-segment]
      endpoint: [bc-api, automation]
      boost: 2
    - http: [404]
      endpoint: [admin]
    - http: [404]
      boost: -6

bc.company-not-found:
  summary: Business Central could not find the company the call addresses.
  why: >-
    The company id in companies(<id>) or ?company= is wrong or belongs to another environment, or the call is
    company-scoped and no company was given.
  fix: Take a company id from GET .../api/v2.0/companies and address it as companies(<id>)/... or with ?company=<id>.
  steps:
    - "GET https://api.businesscentral.dynamics.com/v2.0/<tenant>/<environment>/api/v2.0/companies and copy the id of the company."
    - Use .../api/v2.0/companies(<id>)/customers rather than a company name in the route.
  whoFixes: integration-developer
  distinguish: "Call GET …/v2.0/{tenant}/{environment}/api/v2.0/companies: if it answers 200 but the company id you address is not in the list, the company reference is wrong and this is the cause."
  docs: [bc-api-endpoint-structure, bc-error-codes]
  match:
    - bc: [Internal_CompanyNotFound]
    - text: ["company * does not exist", "company * cannot be found", "company * could not be found", "company * was not found", "company * not found", "cannot find * company", "could not find * company", "no company with", "Unternehmen * ist nicht vorhanden", "Mandant * ist nicht vorhanden", "Virksomheden * findes ikke"]
      boost: 5
    - http: [404]
      url: [company-segment]
      endpoint: [bc-api, automation, onprem]
      boost: 8
    - http: [404]
      endpoint: [bc-api, automation]
      boost: -10
    - http: [404]
      boost: -8

bc.endpoint-not-found:
  summary: The API route does not exist in this environment; the path, API version or publisher/group is wrong, or the API's extension is not installed.
  why: >-
    Business Central answers BadRequest_NotFound ("No HTTP resource was found") when no installed API matches the
    route, for example a custom API whose extension is not installed or a v1.0/v2.0 mix-up.
  fix: Correct the route to /api/v2.0/... (standard) or /api/<publisher>/<group>/<version>/... (custom and automation), and install the extension that provides it.
  steps:
    - "GET .../api/v2.0 (or .../api/<publisher>/<group>/<version>) to list the entity sets that exist."
    - "Business Central > *Extension Management*: confirm the extension that publishes the API is installed in this environment."
  whoFixes: integration-developer
  distinguish: "Call GET on the route root (…/api/v2.0 or …/api/{publisher}/{group}/{version}): if your entity set is not listed, or the root says No HTTP resource was found, this is the cause."
  docs: [bc-api-endpoint-structure, bc-api-endpoints, bc-custom-api]
  match:
    - bc: [BadRequest_NotFound, BadRequest_ResourceNotFound]
    - text: ["No HTTP resource was found that matches the request URI", "Resource not found for the segment"]
    - http: [404]
      url: [custom-route, api-v1, odata, no-environment, soap]
      endpoint: [bc-api, automation, onprem]
      boost: 12
    - http: [404]
      endpoint: [bc-api, automation]
      boost: -3
    - text: ["No HTTP resource", "resource * was not found", "not a valid segment", "API * not found", "page * is not published", "web service * not found", "The requested API is not available"]
      boost: -5
    - http: [400]
      endpoint: [bc-api, automation, onprem, admin]
      boost: -12
    - http: [404]
      endpoint: [onprem, admin]
      boost: -5
    - bc: [BadRequest_MethodNotFound, BadRequest_InvalidRoute, BadRequest_ResourceNotFound]
    - http: [404]
      boost: -7
    - text: ["Could not find a property named", "is not a valid navigation property", "Unknown property", "segment * is not valid", "The request URI is not valid"]
      boost: 5

bc.tenant-unavailable:
  summary: The Business Central tenant or environment is not accessible right now (being updated, suspended or deleted).
  why: >-
    Business Central refuses calls while an environment is upgrading, being copied or restored, is suspended, or has
    been deleted; the credentials are not the problem.
  fix: Check the environment's status in the Business Central admin center and retry once it is Active.
  steps:
    - "Business Central admin center > Environments: read the State column (Active, Upgrading, Suspended, SoftDeleted)."
    - If it is suspended or deleted, resolve the subscription or recover the environment before retrying.
  whoFixes: bc-admin
  distinguish: "Open BC admin center > Environments: if the environment's state is not Active (Upgrading, Suspended, SoftDeleted or similar), this is the cause."
  docs: [bc-error-codes, bc-admin-center-api-environments]
  match:
    - bc: [Internal_TenantUnavailable]
    - text: ["is not accessible"]
      boost: -5
    - text: ["tenant * is not accessible", "tenant * is being updated", "environment * is being updated", "environment is suspended", "tenant * is suspended", "tenant * is not available"]
      boost: 5

bc.throttled:
  summary: Business Central is rate-limiting this client (HTTP 429); back off and retry later.
  why: Business Central limits the number of requests per user and environment; bursts of calls receive 429 until the rate drops.
  fix: Wait for the Retry-After interval and reduce the request rate (batch with $batch, page results, avoid parallel bursts).
  steps:
    - Honour Retry-After and retry with exponential back-off.
    - Combine small requests with $batch and avoid many parallel calls from the same app.
  whoFixes: integration-developer
  distinguish: "Read the BC response status and headers: if it is 429 with Retry-After and the errors stop when you lower the request rate, this is the cause."
  docs: [bc-rate-limits]
  match:
    - http: [429]
      endpoint: [bc-api, automation, admin, onprem]
    - text: ["Too Many Requests", "TooManyRequests"]
      endpoint: [bc-api, automation, admin, onprem]
    - bc: [Application_TooManyRequests, TooManyRequests, Request_TooManyRequests]
    - text: ["Too many requests reached"]
    - http: [429]
      boost: -6

bc.unavailable:
  summary: Business Central answered 502, 503 or 504; the service is temporarily unavailable or the request ran too long.
  why: >-
    502 and 503 are transient service conditions (the response includes Retry-After). 504 means the request exceeded
    the time limit for online requests (about ten minutes).
  fix: Retry after the Retry-After interval; for 504, split the work into smaller requests.
  steps:
    - Retry with back-off, honouring Retry-After.
    - For 504, use paging ($top/$skip or @odata.nextLink) or smaller batches.
    - If it persists, check service health in the Business Central admin center.
  whoFixes: microsoft
  distinguish: "Read the BC response status: if it is 502 or 503 with Retry-After, or 504 after a request that ran about ten minutes, and a retry or smaller request succeeds, this is the cause."
  docs: [bc-web-service-troubleshooting, bc-rate-limits]
  match:
    - http: [502, 503, 504]
      endpoint: [bc-api, automation, admin]
    - text: ["Service Unavailable", "Gateway Timeout", "Bad Gateway"]
      endpoint: [bc-api, automation, admin]
    - text: ["ServiceUnavailable", "GatewayTimeout", "BadGateway", "temporarily unavailable"]
      endpoint: [bc-api, automation, admin]
    - http: [500, 502, 503, 504]
      endpoint: [onprem]
      boost: -5
    - http: [500]
      endpoint: [bc-api, automation, admin]
      boost: -12
    - http: [503, 502, 504]
      boost: -6

bc.unknown-error:
  summary: Business Central returned an error that S2S Doctor has no specific diagnosis for.
  why: The error code is not one of the known service-to-service setup failures; its message and correlation id say what went wrong.
  fix: Read the error code and message, and give the correlation id to whoever investigates (Business Central telemetry or Microsoft support).
  steps:
    - Look the code up in the Business Central API error code list.
    - Search Business Central telemetry (Application Insights) for the correlation id.
  whoFixes: integration-developer
  distinguish: "Look the returned code up in BC's API error code list and search telemetry for its correlation id: if the code fits none of the other candidates, this fallback applies."
  docs: [bc-error-codes, bc-web-service-troubleshooting]

bc.server-error:
  summary: Business Central answered with a server-side error (HTTP 500) that is not a permission refusal; the call reached BC and failed while running.
  why: >-
    Authentication and authorization worked: Business Central ran the request and the AL code or the platform threw an
    error (a validation error, an extension's runtime error, a missing setup record, a locked table, a server fault).
    The message names what failed; the registration is not the cause.
  fix: Read the error message and the AL call stack in telemetry for this correlation id, and fix the data, the request or the extension it names.
  steps:
    - Look up the correlation id in the environment's telemetry (Application Insights) or give it to the partner or Microsoft support.
    - If the message names a record, a field or a setup page, correct that data or the request body and retry.
    - If it names an extension's object, raise it with that extension's publisher; repeated 500s without a message may be a service fault (check the admin center's notifications).
  whoFixes: integration-developer
  distinguish: "Read the error body: if it is HTTP 500 (or Internal_ServerError) and the message names data, a field or an extension object rather than permissions, auth works and this is the cause."
  docs: [bc-error-codes, bc-web-service-troubleshooting]
  match:
    - http: [500]
      endpoint: [bc-api, automation]
    - bc: [Internal_ServerError]
      boost: -25
    - bc: [Application_DialogException, Internal_RecordNotFound]
      boost: -20
    - http: [500]
      endpoint: [onprem]
      boost: -5
    - text: ["Internal Server Error", "InternalServerError"]
      endpoint: [bc-api, automation, onprem]
      boost: -10
    - http: [400]
      endpoint: [bc-api, automation, onprem]
      boost: -8
    - http: [500]
      endpoint: [admin]
      boost: -10
    - http: [500]
      boost: -6
    - text: ["transaction must be started", "Identification fields and values", "AL stack trace", "AL call stack", "NavCSideException", "NavNCLDialogException", "AL-stacktracering"]
      boost: -15

bc.basic-auth-deprecated:
  summary: The call used a user name and web service access key (Basic authentication), which Business Central online no longer accepts.
  why: >-
    Business Central online accepts only OAuth bearer tokens for its APIs and web services; web service access keys
    were retired. A Basic authorization header is rejected like wrong credentials.
  fix: Replace Basic authentication with an OAuth token from the client credentials flow (register the app for S2S).
  steps:
    - Register an app in Entra with API.ReadWrite.All and admin consent, and add it on *Microsoft Entra Applications* in BC.
    - "Change the client to request a token for https://api.businesscentral.dynamics.com/.default and send it as Authorization: Bearer."
  whoFixes: integration-developer
  distinguish: "Look at the Authorization header the client sends: if it starts with Basic (user name and access key), this is the cause."
  docs: [bc-oauth-web-services, bc-s2s]
  match:
    - text: ["web service access key", "WebServiceAccessKey", "Authorization: Basic", "basic authentication", "Basic auth"]
      endpoint: [bc-api, automation]
      boost: 5
    - text: ["web service access key", "WebServiceAccessKey"]
      boost: -5
    - text: ["The server has rejected the client credentials"]
      boost: -25

bc.appsource-app-via-automation:
  summary: An AppSource app was deployed through the automation API, which installs only per-tenant extensions; with S2S, AppSource apps cannot be published this way.
  why: >-
    With an app-only (S2S) token, deployment tools (AL-Go, BcContainerHelper's Publish-PerTenantExtensionApps) upload
    through the automation API's extensionUpload, which accepts per-tenant extensions only. An app whose id belongs to an
    AppSource app is refused; the development endpoint that could publish it does not accept app-only tokens.
  fix: Install AppSource apps from the marketplace (or the admin center), or deploy with a user (impersonation) context to the development endpoint; keep S2S for per-tenant extensions.
  steps:
    - "For an AppSource app: install or update it from Extension Management > Marketplace, or from the admin center's Apps list."
    - "For deployment from a pipeline: give AL-Go / BcContainerHelper an authentication context with a refresh token (user) for AppSource apps, and S2S for per-tenant extensions."
    - If the app is meant to be a per-tenant extension, give it its own app id that is not registered in AppSource.
  whoFixes: integration-developer
  distinguish: "Look up the app id in Extension Management or AppSource: if it is an AppSource app, the automation API upload (S2S) can never publish it."
  docs: [bc-automation-apis, bc-s2s]
  match:
    - text: ["already exists in the AppSource marketplace", "use the extension marketplace to install the extension from AppSource", "AppSource app * per-tenant", "cannot be published as a per-tenant extension"]
"""## + "\n"
    ),
    (
      "reasons/consent.yaml",
      #"""
# Reasons seen while granting admin consent (pasted errors and the consent URL the tool builds).

consent.redirect-uri-mismatch:
  summary: The redirect URI sent with the consent request is not registered on the app exactly as sent.
  why: >-
    Entra ID returns the browser only to a registered redirect URI and compares it character by character, including
    case, path and port. Business Central online sends https://businesscentral.dynamics.com/OAuthLanding.htm;
    on-premises it sends the PublicWebBaseUrl followed by /OAuthLanding.htm.
  fix: Register the exact redirect URI from the error message as a Web redirect URI on the app registration.
  steps:
    - Copy the redirect URI quoted in the error message.
    - Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Authentication > Add a platform > Web (or add a URI to the existing Web platform); paste it and save.
    - "Online it must be https://businesscentral.dynamics.com/OAuthLanding.htm; on-premises <web client URL>/OAuthLanding.htm without :443 and with the same case."
    - Wait a few minutes for the change to apply, then choose Grant Consent again.
  whoFixes: entra-admin
  distinguish: "Copy the redirect URI quoted in the AADSTS50011 message and look for it under App registrations > (app) > Authentication: if no Web URI matches it exactly, this is the cause."
  docs: [tshoot-aadsts50011, entra-reply-url]
  match:
    - aadsts: [70004]
    - aadsts: [50011]
    - text: ["does not match the redirect URIs configured for the application"]

consent.redirect-uri-missing:
  summary: The app registration has no redirect URI at all, so consent has nowhere to return to.
  why: >-
    Granting consent from Business Central (Grant Consent on the *Microsoft Entra Application Card*) needs a Web
    redirect URI on the app registration. Without one Entra ID stops the consent flow.
  fix: Add the Web redirect URI Business Central uses, or grant admin consent directly in the Entra admin center instead.
  steps:
    - "App registrations > (your app) > Authentication > Add a platform > Web: enter https://businesscentral.dynamics.com/OAuthLanding.htm (online) or <web client URL>/OAuthLanding.htm (on-premises)."
    - "Or skip the redirect entirely: App registrations > (your app) > API permissions > Grant admin consent for <tenant>."
  whoFixes: entra-admin
  distinguish: "Open App registrations > (your app) > Authentication: if no Web platform with any redirect URI is configured (AADSTS500113), this is the cause."
  docs: [entra-reply-url, bc-s2s]
  match:
    - aadsts: [500113, 900971]
    - text: ["No reply address is registered for the application", "No reply address provided"]

consent.admin-required:
  summary: The signed-in user is not allowed to grant admin consent for these application permissions.
  why: >-
    Application permissions always need admin consent. Only roles such as Privileged Role Administrator, Cloud
    Application Administrator or Application Administrator can grant it; ordinary users and Dynamics 365
    administrators cannot.
  fix: Have a Cloud Application Administrator (or higher) of the customer's tenant sign in and grant admin consent.
  steps:
    - Sign in to the consent prompt (or the Entra admin center) with an account holding Cloud Application Administrator, Application Administrator or Privileged Role Administrator.
    - "Microsoft Entra admin center > Identity > Applications > Enterprise applications > (your app) > Permissions > Grant admin consent for <tenant>."
    - Or open https://login.microsoftonline.com/<tenant id>/adminconsent?client_id=<client id> as that administrator.
  whoFixes: entra-admin
  distinguish: "Open the consenting user's Assigned roles in the Entra admin center: if none is Cloud Application Administrator, Application Administrator or Privileged Role Administrator, this is the cause."
  docs: [entra-grant-admin-consent, entra-admin-consent-v2]
  match:
    - aadsts: [90093]
    - aadsts: [90094, 65001, 90095]
    - text: ["Need admin approval", "Administrator consent is required", "AdminConsentRequired"]
    - oauthError: [consent_required]

consent.declined:
  summary: The administrator cancelled or declined the consent prompt, so no permissions were granted.
  why: Consent is only recorded when the administrator accepts the prompt; Cancel, closing the window, or declining returns an access_denied error.
  fix: Run the consent again and choose Accept, signed in as an administrator who agrees to grant the permissions.
  steps:
    - Business Central > *Microsoft Entra Application Card* > Grant Consent, or App registrations > (your app) > API permissions > Grant admin consent for <tenant>.
    - Review the listed Dynamics 365 Business Central permissions and choose Accept.
  whoFixes: entra-admin
  distinguish: "Read the URL the consent flow returned to: if it carries error=access_denied or permission_denied (\"The admin canceled the request\") instead of admin_consent=True, this is the cause."
  docs: [entra-admin-consent-v2, entra-grant-admin-consent]
  match:
    - aadsts: [65004]
    - oauthError: [access_denied, permission_denied]
    - text: ["The admin canceled the request", "The+admin+canceled+the+request", "permission_denied", "User declined to consent"]

consent.app-lacks-bc-permissions:
  summary: The app registration does not list any Dynamics 365 Business Central application permissions, so there is nothing to consent to.
  why: >-
    Admin consent grants only the permissions the registration requests. If Dynamics 365 Business Central is not among
    them, Entra ID reports a misconfigured application or an unlisted resource.
  fix: Add the Dynamics 365 Business Central application permissions to the app registration, then grant admin consent.
  steps:
    - "Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > API permissions > Add a permission > Microsoft APIs > Dynamics 365 Business Central > Application permissions."
    - Select API.ReadWrite.All (and Automation.ReadWrite.All, AdminCenter.ReadWrite.All as needed), then Add permissions.
    - Choose Grant admin consent for <tenant>, or run Grant Consent again from Business Central.
  whoFixes: entra-admin
  distinguish: "Open App registrations > (your app) > API permissions: if Dynamics 365 Business Central is not listed with at least one Application permission, this is the cause."
  docs: [tshoot-aadsts650056, bc-s2s]
  match:
    - aadsts: [90008]
    - aadsts: [650056, 650057, 65005]
    - text: ["Misconfigured application", "isn't listed in the requested permissions", "is not listed in the requested permissions"]

consent.single-tenant-common:
  summary: A single-tenant app was sent to the /common consent endpoint, which Entra ID refuses for newer single-tenant apps.
  why: >-
    Business Central's Grant Consent opens https://login.microsoftonline.com/common/adminconsent. Apps registered as
    single tenant after a cut-off date may not use /common and must use a tenant-specific endpoint.
  fix: Grant consent in the Entra admin center or with a tenant-specific consent URL; or make the app multitenant if it must serve other tenants.
  steps:
    - App registrations > (your app) > API permissions > Grant admin consent for <tenant>.
    - Or open https://login.microsoftonline.com/<tenant id>/adminconsent?client_id=<client id>.
    - "If the app serves other customers: App registrations > (your app) > Authentication > Supported account types > Accounts in any organizational directory."
  whoFixes: entra-admin
  distinguish: "Open App registrations > (your app) > Authentication > Supported account types: if it is single tenant and consent went through /common/adminconsent (AADSTS50194), this is the cause."
  docs: [entra-error-codes, entra-admin-consent-v2]
  match:
    - aadsts: [650059]
    - aadsts: [50194]
    - text: ["isn't configured as a multitenant application", "is not configured as a multi-tenant application"]

consent.partner-preconsent-missing:
  summary: A partner delegated administrator tried to consent, but the app has no pre-consent for the customer's tenant.
  why: >-
    Delegated admins of a partner can only use apps that were authorized for the customer tenant in advance. Without
    pre-consent (the app in the partner's AdminAgents group) the consent is refused.
  fix: Add the app's service principal to the AdminAgents group in the partner tenant, or have an administrator of the customer's tenant grant consent.
  steps:
    - Make sure the partner app is registered as multitenant.
    - In the partner tenant, add the app's service principal to the AdminAgents group (Microsoft Graph or PowerShell), wait a few minutes, then request a new token.
    - Alternatively ask a Cloud Application Administrator of the customer tenant to grant admin consent directly.
  whoFixes: entra-admin
  distinguish: "In the partner tenant, list the members of the AdminAgents group: if the app's service principal is absent and consent failed with Need pre-consent (AADSTS90099), this is the cause."
  docs: [graph-csp-preconsent]
  match:
    - aadsts: [90099]
    - text: ["Need pre-consent", "Applications must be authorized to access the external tenant"]

consent.gdap-relationship:
  summary: The partner's delegated admin relationship (GDAP) with the customer tenant is missing, expired or lacks the role needed here.
  why: >-
    A partner administrator acts in a customer tenant only through an active GDAP relationship whose security group
    holds the needed Entra role (for consent: Cloud Application Administrator or Application Administrator; for the BC
    admin center: Dynamics 365 Administrator). Without it, consent and admin calls fail even though the partner is
    an admin at home.
  fix: Have the customer approve (or renew) a GDAP relationship that gives the partner's group the needed roles, or let a customer administrator grant the consent.
  steps:
    - "Partner Center > Customers > (customer) > Admin relationships: check that a relationship is Active and not expired."
    - Check that the partner user is in a security group assigned, in that relationship, to Cloud Application Administrator (consent) or Dynamics 365 Administrator (BC admin center).
    - Or send the filled-in admin consent URL to a Global or Cloud Application Administrator of the customer.
  whoFixes: entra-admin
  distinguish: "Open Partner Center > Customers > (customer) > Admin relationships: if no Active relationship gives your group Cloud Application Administrator (or Dynamics 365 Administrator), this is the cause."
  docs: [bc-partner-access, entra-grant-admin-consent]
  match:
    - text: ["GDAP", "granular delegated admin", "delegated admin relationship", "delegated administration relationship", "DAP relationship", "does not have a delegated admin relationship", "no active relationship"]
      boost: -10
"""# + "\n"
    ),
    (
      "reasons/entra.yaml",
      #"""
# Reasons reported by Microsoft Entra ID: tenant discovery and the token endpoint.

entra.tenant-not-found:
  summary: Entra ID knows no tenant by this ID or domain in this cloud.
  why: >-
    The tenant segment of the token URL must be an existing Directory (tenant) ID or a verified domain. A typo, a
    domain that was never verified, a malformed value, or a tenant that lives in another cloud all end here.
  fix: Use the customer's Directory (tenant) ID GUID, copied from the Entra admin center, in the token URL.
  steps:
    - "Microsoft Entra admin center > Identity > Overview > Properties: copy Tenant ID."
    - "Check it with https://login.microsoftonline.com/<tenant id>/v2.0/.well-known/openid-configuration; an answer with invalid_tenant means the value is still wrong."
    - If the customer is on a national cloud (US Government, China), use that cloud's sign-in host instead of login.microsoftonline.com.
  whoFixes: integration-developer
  distinguish: "Open https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration: if it returns an error (AADSTS90002, invalid_tenant) instead of JSON with an issuer, no such tenant exists and this is the cause."
  docs: [entra-error-codes, entra-client-credentials]
  match:
    - aadsts: [90002, 900023]
    - oauthError: [invalid_tenant]
    - text: ["was not found in the data store", "is neither a valid DNS name, nor a valid external domain", "Unable to get authority configuration"]
    - http: [400]
      endpoint: [token]
      boost: -3

entra.tenant-in-other-cloud:
  summary: The tenant belongs to a national cloud that this sign-in host does not serve.
  why: >-
    Tenants in Microsoft's national clouds (US Government, China operated by 21Vianet) can only get tokens from their
    own cloud's authority host, and confidential clients cannot cross clouds.
  fix: Send the token request to the authority host of the tenant's cloud, with an app registered in that cloud.
  steps:
    - "US Government: https://login.microsoftonline.us/<tenant id>/oauth2/v2.0/token; China: https://login.partner.microsoftonline.cn/<tenant id>/oauth2/v2.0/token."
    - Register the app in that cloud's portal; app registrations do not span clouds.
    - Confirm that a Business Central service exists in that cloud for this customer before continuing.
  whoFixes: integration-developer
  distinguish: "Rerun `s2s-doctor check --tenant T --client-id C --check entra.tenant --cloud usgov` (then `--cloud china`): if the tenant resolves in that cloud but not in public, this is the cause."
  docs: [entra-national-clouds, entra-error-codes]
  match:
    - aadsts: [90051, 900439, 1000104]
    - aadsts: [90038, 900432, 900382]
    - text: ["belongs to the National Cloud", "isn't supported in Cross Cloud request", "is not supported in Cross Cloud request"]
    - text: ["Government cloud", "national cloud", "not supported on the public endpoint", "login.microsoftonline.us instead", "login.chinacloudapi.cn instead", "21Vianet", "sovereign cloud"]
      boost: -5

entra.tenant-not-specified:
  summary: The token request went to /common (or carried no tenant), but client credentials need a specific tenant.
  why: >-
    An app-only token is issued by one directory, and the multi-tenant endpoints cannot pick it. Entra ID refuses the
    client credentials grant on /common and /consumers.
  fix: Use the tenant-specific token endpoint https://login.microsoftonline.com/<tenant id>/oauth2/v2.0/token.
  steps:
    - Replace common, organizations or consumers in the authority with the customer's Directory (tenant) ID.
    - "MSAL: pass authority=https://login.microsoftonline.com/<tenant id>; azure-identity: pass tenant_id."
  whoFixes: integration-developer
  distinguish: "Read the authority of the failing token request: if it is /common/, /organizations/ or /consumers/ (or has no tenant) and Entra answered AADSTS9001023 or 50059, this is the cause."
  docs: [entra-client-credentials, entra-error-codes]
  match:
    - aadsts: [90130, 9002332]
    - aadsts: [50059, 9001023, 50128, 90019, 90124]
    - text: ["isn't supported over the /common or /consumers endpoints", "is not supported over the /common or /consumers endpoints", "No tenant-identifying information found"]
    - url: [tenant-common]
      endpoint: [token]
      http: [400, 401]
      boost: 10

entra.app-not-found:
  summary: Entra ID found no application with this client ID in the tenant the request was sent to.
  why: >-
    Either the client ID is wrong, the request went to another tenant than the one holding the app, or the app is
    multitenant and was never consented to in this customer's tenant, so it has no service principal there.
  fix: Check the client ID and the tenant; for a multitenant app, have a customer administrator grant admin consent in the customer's tenant first.
  steps:
    - Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Overview; compare Application (client) ID and Directory (tenant) ID with what the tool uses.
    - "Multitenant app in a customer tenant: open https://login.microsoftonline.com/<customer tenant id>/adminconsent?client_id=<client id> as a Cloud Application Administrator of that tenant."
    - After consent, look for the app under Identity > Applications > Enterprise applications in the customer's tenant.
  whoFixes: integration-developer
  distinguish: "In the tenant the token URL names, search Enterprise applications for the client ID: if no entry exists (AADSTS700016), the app has no service principal there and this is the cause."
  docs: [entra-error-codes, entra-grant-admin-consent]
  match:
    - aadsts: [7000229]
    - aadsts: [700016, 700011]
    - oauthError: [unauthorized_client]
    - text: ["Application with identifier * was not found", "application * was not found in the directory", "app * not found in the directory"]
      boost: -10
    - aadsts: [70001, 50001]
      text: ["Application with identifier * was not found", "was not found in the directory"]
      boost: 10

entra.secret-invalid:
  summary: Entra ID rejected the client secret; most often the Secret ID was sent instead of the secret Value.
  why: >-
    Certificates & secrets shows a Secret ID (a GUID) and a Value (shown only once). Only the Value authenticates. A
    secret containing + / % or ~ that was not form-encoded in the request body also arrives damaged.
  fix: Send the secret's Value, URL-encoded in the form body; if the Value was not saved, create a new client secret.
  steps:
    - "Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Certificates & secrets > Client secrets > New client secret; copy the Value column immediately."
    - "Raw HTTP: encode the body with application/x-www-form-urlencoded (curl --data-urlencode \"client_secret=$SECRET\")."
    - Update the secret wherever the integration stores it, then delete secrets that are no longer used.
  whoFixes: integration-developer
  distinguish: "Under App registrations > (app) > Certificates & secrets, compare the first characters shown in the Value column with your secret: if they differ or you hold the Secret ID, this is the cause (AADSTS7000215)."
  docs: [entra-error-codes, entra-add-credentials]
  match:
    - aadsts: [70002, 50012]
      text: ["client secret", "secret is provided", "Error validating credentials"]
      boost: 10
    - aadsts: [7000215]
    - text: ["Invalid client secret provided", "Invalid client secret is provided"]
      boost: 45
    - oauthError: [invalid_client]
      boost: 5
    - text: ["invalid client secret", "client secret * is invalid", "secret value, not the client secret ID", "client secret ID"]
      boost: -10
    - http: [401]
      endpoint: [token]
      boost: 3
    - http: [401]
      boost: -8

entra.secret-expired:
  summary: The client secret has expired.
  why: Client secrets have an end date (at most 24 months). After it passes, every token request with that secret fails until a new one is used.
  fix: Create a new client secret on the app registration and give its Value to the integration.
  steps:
    - "Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Certificates & secrets > New client secret; copy the Value."
    - Store the new Value where the integration reads it and note the new expiry date in your calendar.
    - Consider a certificate credential for long-running integrations.
  whoFixes: entra-admin
  distinguish: "Open App registrations > (app) > Certificates & secrets > Client secrets: if the Expires date of the secret you use is in the past (AADSTS7000222), this is the cause."
  docs: [entra-add-credentials, entra-error-codes]
  match:
    - aadsts: [7000222]
    - text: ["client secret keys for app", "InvalidClientSecretExpiredKeysProvided"]
    - text: ["client secret keys * are expired", "secret * has expired", "secret * expired", "expired client secret"]
      boost: -10
    - http: [401]
      endpoint: [token]

entra.credential-missing:
  summary: The token request carried no client secret or certificate assertion (or lacked another required form field).
  why: >-
    A confidential client must send client_secret or client_assertion in the form body. An empty secret is dropped by
    most libraries, and a JSON or query-string body is not read as form fields at all.
  fix: Send grant_type, client_id, client_secret (or client_assertion) and scope as application/x-www-form-urlencoded fields in the POST body.
  steps:
    - Check that the variable holding the secret is actually set in the environment the integration runs in.
    - "Send Content-Type: application/x-www-form-urlencoded with grant_type=client_credentials&client_id=...&client_secret=...&scope=https://api.businesscentral.dynamics.com/.default."
    - For certificates, send client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer and client_assertion=<signed JWT>.
  whoFixes: integration-developer
  distinguish: "Log the token request body your client sends: if it has no client_secret or client_assertion field, or the field is empty (AADSTS7000218), this is the cause."
  docs: [tshoot-aadsts7000218, entra-client-credentials]
  match:
    - aadsts: [7000218, 7000216, 70002, 900144]
    - text: ["must contain the following parameter: 'client_assertion' or 'client_secret'", "'client_assertion', 'client_secret' or 'request' is required"]
    - aadsts: [90014, 900144, 70002]
      text: ["'client_secret or client_assertion'", "parameter: 'client_secret'", "parameter: 'client_assertion'", "client_secret or client_assertion", "client_assertion or client_secret", "client_secret * is required", "client_assertion * is required"]
      boost: 15
    - http: [401]
      endpoint: [token]
      boost: -3
    - text: ["client_assertion or client_secret", "client_secret * is required", "client_assertion * is required", "client_secret * is missing", "no client secret"]
      boost: 5

entra.scope-invalid:
  summary: The scope is not https://api.businesscentral.dynamics.com/.default, so Entra ID will not issue the token.
  why: >-
    The client credentials flow takes exactly one scope: the resource's App ID URI followed by /.default. Permission
    names, several resources at once, or a v1-style resource parameter on the v2 endpoint are all rejected.
  fix: Request scope=https://api.businesscentral.dynamics.com/.default on the v2 endpoint (or resource=https://api.businesscentral.dynamics.com on the v1 endpoint).
  steps:
    - Remove every other scope from the request; ask for tokens for other APIs in separate requests.
    - "Do not send resource= to /oauth2/v2.0/token; use scope there."
    - Choose the application permissions on the app registration (API permissions), not in the scope.
  whoFixes: integration-developer
  distinguish: "Log the scope field of the token request: if it is not exactly https://api.businesscentral.dynamics.com/.default and Entra answers AADSTS70011 or 1002012, this is the cause."
  docs: [entra-client-credentials, entra-error-codes]
  match:
    - aadsts: [28002, 28003, 28004, 90009, 650053]
    - aadsts: [1002012, 70011, 700022, 901002, 700023]
    - oauthError: [invalid_scope]
    - text: ["must contain the following parameter: 'scope'"]
      boost: 45
    - text: ["must have a scope value with /.default suffixed"]
    - http: [400]
      endpoint: [token]
    - http: [400]
      boost: -8

entra.resource-not-found:
  summary: Entra ID does not know the requested resource in this tenant, so no token for Business Central can be issued.
  why: >-
    The resource URI is misspelled, or the tenant has no Business Central service principal (no Business Central
    subscription or trial there), or the request went to a different tenant than intended.
  fix: Use https://api.businesscentral.dynamics.com/.default as the scope and check that the tenant is the customer's tenant that has Business Central.
  steps:
    - Check the scope for typos (api.businesscentral.dynamics.com, not businesscentral.dynamics.com or a web client URL).
    - "Microsoft Entra admin center > Identity > Applications > Enterprise applications, filter Application type = Microsoft Applications, search for Dynamics 365 Business Central."
    - If it is missing, the tenant has no Business Central; use the tenant that does, or start Business Central in this tenant first.
  whoFixes: integration-developer
  distinguish: "In Enterprise applications, filter Application type = Microsoft Applications and search Dynamics 365 Business Central: if it is absent or the scope host is misspelt (AADSTS500011), this is the cause."
  docs: [tshoot-aadsts500011, entra-error-codes]
  match:
    - aadsts: [650054]
    - aadsts: [500011, 9010010, 50001, 650052]
    - oauthError: [invalid_resource]
    - text: ["The resource principal named"]
    - text: ["resource principal named * was not found", "resource principal * was not found"]
      boost: -10

entra.app-disabled:
  summary: The app's service principal (enterprise application) is disabled in this tenant.
  why: An administrator turned off sign-in for the enterprise application, so Entra ID issues no tokens to it, even with a correct secret.
  fix: Re-enable the enterprise application, unless it was disabled on purpose.
  steps:
    - "Microsoft Entra admin center > Identity > Applications > Enterprise applications > (your app) > Properties: set Enabled for users to sign-in? to Yes and save."
    - "PowerShell (Microsoft Graph): Update-MgServicePrincipal -ServicePrincipalId <object id> -AccountEnabled:$true."
    - Ask the tenant's security team first whether the app was disabled deliberately.
  whoFixes: entra-admin
  distinguish: "Open Enterprise applications > (your app) > Properties: if Enabled for users to sign-in? is No (AADSTS7000112), this is the cause."
  docs: [tshoot-aadsts7000112, entra-error-codes]
  match:
    - aadsts: [1000031]
    - aadsts: [7000112, 70001]
    - text: ["UnauthorizedClientApplicationDisabled"]
    - text: ["application * is disabled", "application * disabled", "service principal * disabled", "app * has been disabled"]
      boost: -10
    - http: [400, 401]
      endpoint: [token]
      boost: -8

entra.conditional-access:
  summary: A Conditional Access policy for workload identities blocked this app from getting a token.
  why: >-
    Conditional Access can block service principals by location or risk. A request from an address outside the
    allowed locations is refused even though the credentials are valid.
  fix: Have an Entra administrator find the policy that blocked the request and allow the integration's outbound address (or exclude the app) deliberately.
  steps:
    - "Microsoft Entra admin center > Identity > Monitoring & health > Sign-in logs > Service principal sign-ins: open the failed sign-in and read the Conditional Access tab."
    - Protection > Conditional Access > Policies > (blocking policy); add the integration's public IP range as a named location or adjust the assignment.
  whoFixes: entra-admin
  distinguish: "Open Sign-in logs > Service principal sign-ins, find the failure by correlation id and read its Conditional Access tab: if a policy shows Failure (AADSTS53003), this is the cause."
  docs: [entra-workload-identity-ca, entra-error-codes]
  match:
    - aadsts: [50131]
    - aadsts: [53003, 530032]
    - text: ["BlockedByConditionalAccess", "Access has been blocked by Conditional Access policies"]
    - http: [400, 403]
      endpoint: [token]
      boost: -5
    - aadsts: [53005, 53009, 53010]

entra.certificate-rejected:
  summary: Entra ID rejected the certificate credential or the signed client assertion.
  why: >-
    The certificate used to sign the assertion is not registered on the app, its thumbprint or key does not match,
    or the assertion itself is malformed or outside its validity window (often a wrong clock on the signing machine).
  fix: Upload the public part of the signing certificate to the app registration and sign the assertion with the matching private key and a correct clock.
  steps:
    - "Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Certificates & secrets > Certificates > Upload certificate (.cer/.pem)."
    - Compare the thumbprint shown there with the x5t of the assertion header the integration sends.
    - Make sure the machine that signs the assertion has a synchronized clock (nbf/exp of the assertion).
  whoFixes: entra-admin
  distinguish: "Decode the client assertion header and compare its x5t thumbprint with Certificates & secrets > Certificates: if none matches (AADSTS700027), this is the cause."
  docs: [entra-certificate-credentials, entra-error-codes]
  match:
    - aadsts: [50012, 50027, 50032, 50048, 50098, 50120, 70021, 700211, 700212, 700213, 700229, 900384, 7002138]
    - aadsts: [700027, 700024, 700030]
    - text: ["Client assertion failed signature validation", "Client assertion is not within its valid time range"]

entra.throttled:
  summary: Entra ID is throttling token requests from this client (HTTP 429); back off and retry later.
  why: >-
    Too many token requests in a short time, typically because each API call requests a new token instead of reusing
    the cached one until shortly before it expires.
  fix: Wait for the Retry-After interval, then cache the token and reuse it until shortly before expires_in runs out.
  steps:
    - Honour the Retry-After header before the next token request.
    - Keep one token per tenant and scope in memory and request a new one only about five minutes before it expires.
  whoFixes: integration-developer
  distinguish: "Read the token endpoint's status: if it is 429 with Retry-After and your logs show a new token request for every API call, this is the cause."
  docs: [entra-client-credentials, entra-access-tokens]
  match:
    - aadsts: [50196]
    - http: [429]
      endpoint: [token]
    - aadsts: [90055]
    - text: ["Too Many Requests", "TooManyRequests"]
      endpoint: [token]
    - http: [429]
      boost: -20

entra.unavailable:
  summary: Entra ID answered with a server error (HTTP 5xx); the sign-in service is failing, not your setup.
  why: A transient fault at Microsoft or along the way to it. The request itself may be fine; retrying later usually succeeds.
  fix: Retry after a short wait (respect Retry-After); if it persists, check the Microsoft 365 / Azure service health pages.
  steps:
    - Retry with exponential back-off, honouring Retry-After if present.
    - If errors continue, check service health in the Microsoft 365 admin center and keep the correlation ids for a support case.
  whoFixes: microsoft
  distinguish: "Read the token endpoint's status: if it is 5xx (or error=temporarily_unavailable) and the same unchanged request succeeds a few minutes later, this is the cause."
  docs: [entra-error-codes]
  match:
    - aadsts: [90012, 90036, 90090, 90091, 90092]
    - http: [500, 502, 503, 504]
      endpoint: [token]
    - aadsts: [90006, 90024, 90033, 50033, 50000]
    - oauthError: [temporarily_unavailable, server_error]
    - text: ["=HTTP Error: 500", "=HTTP Error: 502", "=HTTP Error: 503", "=HTTP Error: 504"]
    - text: ["temporarily_unavailable", "server_error", "could not serve the request"]
      endpoint: [token]
      boost: -10
    - http: [500, 503]
      boost: -8

entra.unknown-error:
  summary: Entra ID returned an error code that S2S Doctor has no specific diagnosis for.
  why: >-
    The code is not one of the well-known client-credentials failures. Its meaning is looked up on Microsoft's
    error page; the trace and correlation ids let Microsoft support find the request.
  fix: Look the code up at https://login.microsoftonline.com/error?code=<number> and follow the advice there, keeping the trace and correlation ids.
  steps:
    - "Open https://login.microsoftonline.com/error?code=<the AADSTS number>."
    - "Microsoft Entra admin center > Identity > Monitoring & health > Sign-in logs > Service principal sign-ins: search by the correlation id for details."
  whoFixes: integration-developer
  distinguish: "Open https://login.microsoftonline.com/error?code=<AADSTS number>: if the code fits none of the other candidates, follow that page and look up the correlation id in Service principal sign-ins."
  docs: [entra-error-codes]

entra.scope-multiple-resources:
  summary: The token request asked for scopes of more than one resource; a token is issued for one resource at a time.
  why: >-
    A scope list such as "https://api.businesscentral.dynamics.com/.default https://graph.microsoft.com/.default"
    names two resources. Entra issues one access token per resource, so the request is refused.
  fix: Request exactly one scope, https://api.businesscentral.dynamics.com/.default, and get a separate token for any other resource.
  steps:
    - Find where the scope list is built (the scopes argument of MSAL / azure-identity, or the scope form field).
    - Keep only https://api.businesscentral.dynamics.com/.default for Business Central; request Graph or other tokens separately.
  whoFixes: integration-developer
  distinguish: "Log the scope field of the token request: if it names more than one resource (e.g. the BC /.default plus a graph.microsoft.com scope), this is the cause."
  docs: [entra-client-credentials, entra-error-codes]
  match:
    - aadsts: [28000]
    - aadsts: [700022, 70011]
      text: ["more than one resource", "multiple resources"]
      boost: 10
    - text: ["contains more than one resource", "scopes for multiple resources", "more than one resource"]

entra.request-malformed:
  summary: The token request itself is malformed (a required field is missing, the body is not form-encoded, or the grant type is wrong).
  why: >-
    The token endpoint reads application/x-www-form-urlencoded fields: grant_type=client_credentials, client_id,
    client_secret (or client_assertion) and scope. A JSON body, a field sent in the URL or a misspelt name reads as
    missing, and Entra refuses the request before it looks at the app.
  fix: Send a form-encoded POST body with grant_type=client_credentials, client_id, client_secret and scope=https://api.businesscentral.dynamics.com/.default.
  steps:
    - Check the request's Content-Type is application/x-www-form-urlencoded and the fields are in the body, not in the URL or in JSON.
    - Check the field names and that grant_type is client_credentials (not password or authorization_code).
    - Prefer a client library (MSAL, azure-identity) that builds the request for you.
  whoFixes: integration-developer
  distinguish: "Log the raw token request: if Content-Type is not application/x-www-form-urlencoded, the fields sit in the URL or JSON, or grant_type is not client_credentials, this is the cause."
  docs: [entra-client-credentials, entra-error-codes]
  match:
    - aadsts: [50050, 90004, 90023, 90056, 90100, 90117, 90121, 900561]
    - aadsts: [90014, 9002313, 70003]
    - aadsts: [900144]
      text: ["parameter: 'grant_type'", "parameter: 'client_id'", "parameter: grant_type", "parameter: client_id"]
      boost: 10
    - oauthError: [unsupported_grant_type]
    - text: ["must contain the following parameter: 'grant_type'", "must contain the following parameter: 'client_id'", "must contain the following parameter: 'scope'", "unsupported_grant_type", "grant type is not supported", "Request body must contain", "The request body must contain the following parameter"]
      boost: -30
    - oauthError: [invalid_request]
      boost: -15
    - text: ["at least one scope", "scope * is required", "grant_type * is required", "client_id * is required", "body must contain", "Content-Type * application/x-www-form-urlencoded", "unsupported_grant_type"]
      boost: -10
    - http: [400]
      endpoint: [token]
      boost: 2
    - http: [400]
      boost: -6

entra.public-client:
  summary: The app registration is treated as a public client, which must not send a secret and cannot use client credentials.
  why: >-
    With "Allow public client flows" on, or when the request goes to a public-client flow, Entra refuses a client
    secret or assertion (AADSTS700025). Service-to-service needs a confidential client with a secret or certificate.
  fix: Turn off "Allow public client flows" on the app registration and request the token with the client credentials grant.
  steps:
    - "App registrations > (your app) > Authentication > Advanced settings > Allow public client flows = No; save."
    - Make sure the request uses grant_type=client_credentials against https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token.
  whoFixes: entra-admin
  distinguish: "Open App registrations > (your app) > Authentication > Advanced settings: if Allow public client flows is Yes and Entra answered AADSTS700025, this is the cause."
  docs: [entra-client-credentials, entra-error-codes]
  match:
    - aadsts: [700025]
    - text: ["Client is public so neither 'client_assertion' nor 'client_secret' should be presented", "client is public"]
      boost: -20

entra.user-flow-error:
  summary: This error comes from a user sign-in (interactive, password, device code or refresh token), not from service-to-service client credentials.
  why: >-
    S2S uses the client credentials grant: no user, no password, no MFA, no refresh token. Errors about a user's
    password, MFA, account state or refresh token mean the integration still signs in as a person, which breaks when
    that person's password changes, MFA is enforced or the account is disabled.
  fix: Switch the integration to client credentials (app-only) with API.ReadWrite.All and register the app in Business Central, instead of fixing the user account.
  steps:
    - Register the app and grant the application permission API.ReadWrite.All with admin consent (see the S2S setup guide).
    - Add the app on the *Microsoft Entra Applications* page in Business Central with its permission sets.
    - Change the integration to request tokens with grant_type=client_credentials and scope https://api.businesscentral.dynamics.com/.default.
  whoFixes: integration-developer
  distinguish: "Check the grant_type of the failing token request: if it is password, authorization_code, device_code or refresh_token instead of client_credentials, this is the cause."
  docs: [bc-s2s, entra-client-credentials]
  match:
    - aadsts: [16000, 16003, 50013, 50014, 50064, 50078, 50135, 50142, 51004, 53002, 53004, 53011, 70005, 70008, 500133, 500207, 500208, 500212, 500213, 500341, 501481, 530034, 530035, 700005, 700020]
    - aadsts: [50076, 50079, 50126, 50034, 50053, 50057, 50055, 50056, 50058, 50072, 50074, 50105, 50020, 50097, 50125, 50132, 50133, 50140, 50173, 70043, 70044, 700082, 700084, 70000, 54005, 50158, 90072, 50085, 81010, 50089, 50144, 53000, 53001]
    - oauthError: [interaction_required, login_required]
      boost: -20
    - text: ["grant_type=password", "grant_type=refresh_token", "refresh token has expired", "refresh token is expired", "The refresh token", "invalid username or password", "multi-factor authentication", "AcquireTokenInteractive", "AcquireTokenByUsernamePassword", "interaction_required"]
      boost: -35

entra.tenant-blocked:
  summary: The tenant exists but Microsoft has blocked or shut it down, so Entra ID issues no tokens for it.
  why: >-
    Microsoft blocks tenants it suspects of fraud, and shuts down inactive ones (old trial and sandbox tenants) under
    its tenant lifecycle policy. No setting of the app or of Business Central can change that.
  fix: Contact Microsoft support from an administrator account of that tenant to have it reactivated, or use a tenant that is active.
  steps:
    - Sign in to the Microsoft Entra admin center with an administrator of the tenant; a blocked tenant says so at sign-in.
    - Open a support request with Microsoft (Microsoft 365 admin center > Support) and quote the AADSTS code and the correlation id.
  whoFixes: microsoft
  distinguish: "Sign in to the Entra admin center as an administrator of the tenant: if sign-in says the directory is blocked or deactivated, this is the cause."
  docs: [entra-error-codes]
  match:
    - aadsts: [5000224, 5000225]
    - text: ["tenant has been blocked", "directory has been blocked", "tenant is blocked", "tenant has been deactivated"]
      boost: -10

entra.resource-disabled:
  summary: Business Central's own enterprise application (the resource) is disabled in this tenant, so no token for it is issued.
  why: >-
    Entra issues a token only for a resource whose service principal is enabled. When an administrator disabled the
    Dynamics 365 Business Central enterprise application, or its subscription lapsed, every app asking for a BC token fails.
  fix: Enable the Dynamics 365 Business Central enterprise application in the tenant (Enabled for users to sign-in = Yes).
  steps:
    - "Microsoft Entra admin center > Enterprise applications > search Dynamics 365 Business Central (app id 996def3d-b36c-4153-8607-a6fd3c01b89f) > Properties: Enabled for users to sign-in = Yes."
    - Check in the Microsoft 365 admin center that the tenant's Business Central subscription is active.
  whoFixes: entra-admin
  distinguish: "Open Enterprise applications and find app id 996def3d-b36c-4153-8607-a6fd3c01b89f: if it is disabled, this is the cause."
  docs: [entra-error-codes]
  match:
    - aadsts: [500014]
    - aadsts: [50001, 500014]
      text: ["is disabled"]
      boost: 10
    - text: ["resource * is disabled", "resource principal * is disabled"]
      boost: -5


entra.first-party-client:
  summary: The sign-in used a Microsoft application's client id (a first-party tool's), which is not pre-authorized for Business Central.
  why: >-
    Tools such as Azure PowerShell or the Azure CLI sign in with Microsoft's own client ids. Entra lets such an app reach
    another Microsoft resource only when Microsoft pre-authorized that pair; Business Central is not among them, so consent
    cannot be given and the sign-in fails (AADSTS65002).
  fix: Sign in with your own app registration's client id (with the Business Central permissions), or update the tool to a version that uses its own registration.
  steps:
    - "Register an app (or use the existing S2S registration) and give the tool its client id: for BcContainerHelper, New-BcAuthContext -clientID <your app id>."
    - For S2S, use the client credentials flow with that app's secret or certificate instead of a user sign-in.
  whoFixes: integration-developer
  distinguish: "Look up the client id in the failing request: if it is a Microsoft application's id (e.g. 1950a258-227b-4e31-a9cf-717495945fc2 for Azure PowerShell) rather than your own registration, this is the cause."
  docs: [entra-error-codes, bc-register-app-azure]
  match:
    - aadsts: [65002]
    - text: ["must be configured via preauthorization", "first party application and first party resource"]
      boost: -10
"""# + "\n"
    ),
    (
      "reasons/input.yaml",
      #"""
# Reasons found by looking at the tool's own input, before any network call.

input.tenant-invalid:
  summary: The tenant value is neither a tenant ID (GUID) nor a domain name, so no token endpoint can be built from it.
  why: >-
    The token URL is https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token. Placeholder text, the
    all-zero GUID, or a URL pasted into the tenant field produces an address Entra ID cannot resolve to a directory.
  fix: Enter the Directory (tenant) ID GUID of the customer's tenant, or one of its verified domains such as contoso.onmicrosoft.com, and nothing else.
  steps:
    - "Microsoft Entra admin center > Identity > Overview > Properties: copy the Tenant ID (a GUID)."
    - Alternatively take a verified domain from Identity > Settings > Domain names (for example contoso.onmicrosoft.com).
    - Remove any scheme, host or path around it (no https://, no /oauth2/v2.0/token, no trailing slash).
  whoFixes: integration-developer
  distinguish: "Run `s2s-doctor check --tenant T --client-id C --check input.tenant`: if it fails before any network call because T is a placeholder, a URL or neither a GUID nor a domain, this is the cause."
  docs: [entra-client-credentials, entra-error-codes]
  match:
    - aadsts: [50029]
    - text: ["Enter_the_Tenant_Info_Here", "Enter_the_Tenant_ID_Here", "<tenant id>", "<tenant-id>", "<your-tenant-id>", "{tenant-id}", "{tenantId}", "00000000-0000-0000-0000-000000000000/oauth2"]
      boost: -10
    - url: [tenant-placeholder]
      boost: 55
    - url: [tenant-placeholder, tenant-malformed]
      aadsts: [90002, 900023, 90013, 90019, 50059, 90038, 9002332]
      boost: 15
    - url: [tenant-malformed]
      boost: 30
    - text: ["tenant '00000000-0000-0000-0000-000000000000'", "tenant 00000000-0000-0000-0000-000000000000", "tenant identifier '00000000-0000-0000-0000-000000000000'"]
      boost: 45
    - http: [404]
      endpoint: [token]

input.tenant-not-specific:
  summary: The tenant is set to common, organizations or consumers, but client credentials need one specific tenant.
  why: >-
    An app-only token is always issued by one directory. The multi-tenant aliases cannot tell Entra ID which
    customer's directory should issue it, so the request fails or reaches the wrong tenant.
  fix: Replace common/organizations/consumers with the customer's Directory (tenant) ID or verified domain.
  steps:
    - Ask the customer's administrator for the Tenant ID shown in Microsoft Entra admin center > Identity > Overview > Properties.
    - Use https://login.microsoftonline.com/<tenant id>/oauth2/v2.0/token as the token endpoint.
  whoFixes: integration-developer
  distinguish: "Read the --tenant value (or the tenant segment of your token URL): if it is common, organizations or consumers instead of one tenant ID or domain, this is the cause."
  docs: [entra-client-credentials]
  match:
    - text: ["common organizations or consumers", "not common or organizations", "tenant * common"]
      boost: -10
    - url: [tenant-common]
      endpoint: [token, consent]
      boost: 5

input.client-id-invalid:
  summary: The client ID is not a GUID, so it cannot be the Application (client) ID of an app registration.
  why: >-
    Entra ID looks the caller up by its Application (client) ID, which is always a GUID. A display name, an object ID
    typed with errors, or a placeholder can never match an app.
  fix: Copy the Application (client) ID from the app registration's Overview page and use it unchanged.
  steps:
    - Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Overview > Application (client) ID.
    - Do not use the Object ID or the Directory (tenant) ID, which are different GUIDs on the same page.
  whoFixes: integration-developer
  distinguish: "Run `s2s-doctor check --tenant T --client-id C --check input.client-id`: if it reports that C is not a GUID (a display name or placeholder), this is the cause."
  docs: [entra-client-credentials]
  match:
    - aadsts: [90112]
    - aadsts: [700016, 70001]
      url: [client-id-malformed]
      boost: 15

input.secret-missing:
  summary: No client secret and no certificate were supplied, so there is nothing to authenticate the app with.
  why: Client credentials prove the app's identity with a secret or a signed certificate assertion; without either Entra ID rejects the request.
  fix: Provide the client secret Value, or a certificate whose public key is uploaded to the app registration.
  steps:
    - "Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Certificates & secrets > Client secrets > New client secret; copy the Value right away (it is shown once)."
    - Or upload a certificate under Certificates & secrets > Certificates and give the tool the matching private key.
  whoFixes: integration-developer
  distinguish: "Run `s2s-doctor check --tenant T --client-id C --check input.credential`: if it says neither a secret (AZURE_CLIENT_SECRET, --client-secret-file, --client-secret-stdin) nor --certificate was given, this is the cause."
  docs: [entra-add-credentials, entra-client-credentials]
  match:
    - text: ["No Authentication Context found", "secret called AUTHCONTEXT", "AuthContext secret is missing", "client secret is empty", "client_secret is empty", "secret was not provided", "no client secret was provided"]
      boost: 5

input.secret-looks-like-id:
  summary: The client secret is a GUID, which is almost certainly the Secret ID rather than the secret Value.
  why: >-
    The Certificates & secrets page shows two columns for each secret. The Secret ID is a GUID that identifies the
    secret; only the Value (a 40-character string, shown once) authenticates. Sending the ID fails with AADSTS7000215.
  fix: Use the secret's Value column; if it was not copied when created, create a new client secret and copy its Value.
  steps:
    - Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Certificates & secrets > Client secrets.
    - If the Value is masked, choose New client secret, then copy the Value column (not Secret ID) before leaving the page.
    - Delete the old secret once nothing uses it any more.
  whoFixes: integration-developer
  distinguish: "Compare your secret with the Secret ID column under App registrations > (app) > Certificates & secrets: if it is that GUID rather than the ~40-character Value, this is the cause."
  docs: [entra-add-credentials, entra-error-codes]

input.secret-has-stray-characters:
  summary: The client secret has leading or trailing spaces, surrounding quotes or a line break from copy and paste.
  why: Entra ID compares the secret byte for byte; an extra space, quote or newline makes a correct secret fail as invalid.
  fix: Paste the secret again without whitespace or quotes around it, exactly as shown in the Value column.
  steps:
    - Copy the Value with the copy button on Certificates & secrets instead of selecting the text by hand.
    - "In configuration files and environment variables, check that the value has no quotes, no trailing newline and no spaces."
  whoFixes: integration-developer
  distinguish: "Show the stored secret with `printf %s \"$AZURE_CLIENT_SECRET\" | od -c`: if it begins or ends with a quote, space, \\r or \\n, this is the cause."
  docs: [entra-add-credentials]

input.redirect-uri-invalid:
  summary: The redirect URI is not an absolute https URL, so it cannot be registered as a Web redirect URI.
  why: >-
    Entra ID accepts only https redirect URIs for the Web platform (localhost excepted). The Grant Consent action in
    Business Central returns the browser to this address, so it must be a full https URL.
  fix: Use an absolute https URL that ends in /OAuthLanding.htm, for example https://businesscentral.dynamics.com/OAuthLanding.htm for online.
  steps:
    - "Online: use https://businesscentral.dynamics.com/OAuthLanding.htm."
    - "On-premises: use the web client address as configured in PublicWebBaseUrl, followed by /OAuthLanding.htm."
    - Register it under App registrations > (your app) > Authentication > Add a platform > Web.
  whoFixes: entra-admin
  distinguish: "Run `s2s-doctor check --tenant T --client-id C --redirect-uri U --check input.redirect-uri`: if it reports U is not an absolute https:// URL, this is the cause."
  docs: [entra-reply-url, bc-s2s]
  match:
    - aadsts: [90102]

input.redirect-uri-not-oauthlanding:
  summary: The redirect URI does not end in /OAuthLanding.htm (with exactly that case), so consent from the Business Central web client lands nowhere.
  why: >-
    Business Central's Grant Consent action always sends its web client address plus OAuthLanding.htm as the redirect.
    Redirect URIs are compared case-sensitively, so any other path or spelling does not match.
  fix: Register and use the web client address followed by /OAuthLanding.htm, with that exact capitalisation.
  steps:
    - "Correct the value to <web client URL>/OAuthLanding.htm (online: https://businesscentral.dynamics.com/OAuthLanding.htm)."
    - Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Authentication > Web > Redirect URIs; add the corrected URI and save.
  whoFixes: entra-admin
  distinguish: "Read the redirect URI under App registrations > (app) > Authentication > Web: if its path does not end in exactly /OAuthLanding.htm (same capitalisation), this is the cause."
  docs: [bc-s2s, entra-reply-url]

input.redirect-uri-default-port:
  summary: The redirect URI contains an explicit :443, which the browser and Business Central drop, so it will never match.
  why: >-
    Business Central builds the redirect URI without the default https port, and browsers remove :443 from addresses.
    Entra ID compares redirect URIs exactly, so a registered URI with :443 does not match the one that is sent.
  fix: Remove :443 from the redirect URI and register the URI without a port.
  steps:
    - "Change https://host:443/BC/OAuthLanding.htm to https://host/BC/OAuthLanding.htm."
    - Update it in App registrations > (your app) > Authentication > Web > Redirect URIs.
  whoFixes: entra-admin
  distinguish: "Look at the host part of the registered redirect URI: if it carries an explicit :443 (https://host:443/…), this is the cause, because BC and browsers send it without the port."
  docs: [bc-register-app-azure, entra-reply-url]

input.redirect-uri-online-mismatch:
  summary: For Business Central online the redirect URI must be https://businesscentral.dynamics.com/OAuthLanding.htm, and this one is different.
  why: >-
    Online, Business Central keeps only the base domain of the web client when it builds the consent redirect, so it
    always sends https://businesscentral.dynamics.com/OAuthLanding.htm regardless of tenant or environment.
  fix: Register https://businesscentral.dynamics.com/OAuthLanding.htm as a Web redirect URI and use that value.
  steps:
    - Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Authentication > Add a platform > Web.
    - Enter https://businesscentral.dynamics.com/OAuthLanding.htm exactly (lower-case host, no port, no tenant or environment in the path).
  whoFixes: entra-admin
  distinguish: "For BC online, compare the registered Web redirect URI with https://businesscentral.dynamics.com/OAuthLanding.htm character by character: any difference (host, case, tenant or environment in the path) confirms this."
  docs: [bc-s2s, entra-reply-url]

input.environment-invalid:
  summary: The environment name is empty or contains characters a Business Central environment name cannot have.
  why: Every online API URL carries the environment name (for example /v2.0/<tenant>/Production/api/v2.0), so a malformed name can never be addressed.
  fix: Copy the environment name exactly as the Business Central admin center lists it.
  steps:
    - "Business Central admin center > Environments: copy the Name column (for example Production or Sandbox-Test)."
    - Do not use the display name of a company or the web client URL.
  whoFixes: integration-developer
  distinguish: "Compare the environment value with the Name column in BC admin center > Environments: if it is empty or contains spaces, slashes or other characters no environment name has, this is the cause."
  docs: [bc-api-endpoint-structure, bc-admin-center-api-environments]

input.scope-invalid:
  summary: The scope is not https://api.businesscentral.dynamics.com/.default, the only scope client credentials can use for Business Central.
  why: >-
    In the client credentials flow the scope names a resource followed by /.default; individual permission names such
    as API.ReadWrite.All, delegated scopes, or scopes of another resource are rejected or give a token BC refuses.
  fix: Set the scope to https://api.businesscentral.dynamics.com/.default and nothing else.
  steps:
    - Remove any other scopes (for example Graph scopes or user_impersonation) from the token request.
    - Application permissions are chosen on the app registration (API permissions), not in the scope.
  whoFixes: integration-developer
  distinguish: "Print the scope your integration is configured with: if it is anything but exactly https://api.businesscentral.dynamics.com/.default (e.g. API.ReadWrite.All, a Graph scope, no /.default), this is the cause."
  docs: [entra-client-credentials, bc-s2s]

input.certificate-invalid:
  summary: The certificate file cannot be used as a client credential (missing, unreadable, or without a matching RSA private key).
  why: >-
    A certificate credential signs a client assertion with the certificate's private key; Entra ID checks the signature
    against the certificate uploaded to the app registration. The tool needs both the certificate and its key in PEM.
  fix: Point --certificate (or AZURE_CLIENT_CERTIFICATE_PATH) at one PEM file holding the certificate and its RSA private key.
  steps:
    - "Convert a .pfx with: openssl pkcs12 -in app.pfx -out app.pem -nodes (keep the file private: chmod 600 app.pem)."
    - "Check the pair: openssl x509 -in app.pem -noout -fingerprint -sha256, and make sure the same certificate is under App registrations > (your app) > Certificates & secrets > Certificates."
  whoFixes: integration-developer
  distinguish: "Run `openssl x509 -in app.pem -noout -fingerprint -sha256` and `openssl pkey -in app.pem -noout`: if either fails, the PEM lacks a readable certificate or RSA private key and this is the cause."
  docs: [entra-certificate-credentials]

input.server-url-invalid:
  summary: The on-premises server URL is not an absolute https URL of a server instance (for example https://bc.contoso.com:7048/BC).
  why: >-
    On-premises API calls go to <server>:<OData port>/<server instance>/api/v2.0; without a scheme, host and instance
    name the request cannot reach the server.
  fix: Give --bc-url as https://<server>:<OData port>/<server instance>, as in PublicODataBaseUrl without the trailing /ODataV4.
  steps:
    - "Read it on the server: Get-NAVServerConfiguration -ServerInstance BC -KeyName PublicODataBaseUrl."
    - "Use the host name that the server certificate was issued for, and https."
  whoFixes: integration-developer
  distinguish: "Compare --bc-url with the output of `Get-NAVServerConfiguration -ServerInstance BC -KeyName PublicODataBaseUrl`: if yours lacks https://, the host, the port or the instance name, this is the cause."
  docs: [bc-enable-apis-onprem]
"""# + "\n"
    ),
    (
      "reasons/network.yaml",
      #"""
# Reasons for requests that never got a proper answer from Entra ID or Business Central.

network.dns-failed:
  summary: The host name could not be resolved, so the request never left this machine.
  why: >-
    Either the host name is misspelled (for example in a custom authority or an on-premises server URL), or this
    machine has no working DNS path to it and is expected to go through a proxy that is not configured.
  fix: Check the host name for typos, then make sure this machine can resolve it, directly or through the proxy it must use.
  steps:
    - "Run nslookup login.microsoftonline.com and nslookup api.businesscentral.dynamics.com (or your on-premises server name) on the same machine."
    - If your network requires a proxy, set HTTPS_PROXY (or the proxy setting of your client) so name resolution happens at the proxy.
    - Ask the network administrator to allow the Microsoft 365 identity endpoints and api.businesscentral.dynamics.com.
  whoFixes: network-admin
  distinguish: "Run `nslookup login.microsoftonline.com` (or the BC / on-premises host) on the same machine: if it returns no address (NXDOMAIN or server failure), this is the cause."
  docs: [m365-endpoints, bc-web-service-troubleshooting]
  match:
    - text:
        - "Could not resolve host"
        - "Name or service not known"
        - "getaddrinfo"
        - "NameResolutionError"
        - "Failed to resolve"
        - "No such host is known"
        - "no such host"
        - "'ENOTFOUND'"
        - "Temporary failure in name resolution"
        - "nodename nor servname provided"
        - "Name does not resolve"
        - "The remote name could not be resolved"
        - "A server with the specified hostname could not be found"
        - "Der angegebene Host ist unbekannt"
        - "Der Remotename konnte nicht aufgelöst werden"

network.connection-refused:
  summary: The connection was refused or reset as soon as it was opened; nothing accepted it at that address and port.
  why: >-
    Nothing is listening on that port (a stopped on-premises service, a wrong port such as 7047 versus 7048), or a
    firewall actively rejects the connection.
  fix: Check the host and port, make sure the service is running, and ask the network administrator whether a firewall rejects the connection.
  steps:
    - "Test the port from the same machine: Test-NetConnection <host> -Port 443 (PowerShell) or curl -v https://<host>:<port>/."
    - "On-premises: confirm the server instance is running (Get-NAVServerInstance) and that the OData/API port matches ODataServicesPort (default 7048)."
    - Ask the network administrator to allow outbound HTTPS to login.microsoftonline.com and api.businesscentral.dynamics.com.
  whoFixes: network-admin
  distinguish: "Run `curl -v https://<host>:<port>/` from the same machine: if it fails at once with \"Connection refused\" or a reset before any TLS handshake, nothing accepts that port and this is the cause."
  docs: [m365-endpoints, bc-server-settings]
  match:
    - text:
        - "Connection refused"
        - "ECONNREFUSED"
        - "actively refused"
        - "connectionRefused"
        - "Could not connect to the server"
        - "Connection reset by peer"
        - "ECONNRESET"
        - "da der Zielcomputer die Verbindung verweigerte"

network.timeout:
  summary: No answer arrived within the time limit; the connection or the response timed out.
  why: >-
    Traffic is often silently dropped by a firewall, or a proxy accepts the connection and never forwards it. A very
    slow on-premises server can also exceed the limit.
  fix: Check that outbound HTTPS to the service is allowed and that any required proxy is configured, then retry.
  steps:
    - "Run curl -v --max-time 20 https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration from the same machine."
    - If a proxy is required, configure it (HTTPS_PROXY or the client's proxy setting) and retry.
    - Ask the network administrator whether the firewall drops traffic to the Microsoft 365 identity endpoints or api.businesscentral.dynamics.com.
  whoFixes: network-admin
  distinguish: "Run `curl -v --max-time 20 https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration`: if it hangs until the limit with no response, traffic is being dropped and this is the cause."
  docs: [m365-endpoints, bc-rate-limits]
  match:
    - text:
        - "timed out"
        - "ETIMEDOUT"
        - "ESOCKETTIMEDOUT"
        - "deadline exceeded"
        - "The operation has timed out"
        - "Timeout was reached"
        - "HttpClient.Timeout"
        - "i/o timeout"
        - "ConnectTimeoutError"
        - "ReadTimeout"
        - "Zeitüberschreitung"

network.tls-untrusted:
  summary: The server's TLS certificate was not trusted, usually because a TLS-inspecting proxy replaced it with its own.
  why: >-
    Microsoft's endpoints use publicly trusted certificates. When the chain ends in an unknown or self-signed root, a
    corporate proxy or security product is intercepting HTTPS, or the host name does not match the certificate.
  fix: Give the tool your proxy's root CA certificate with --ca-file (or exempt the Microsoft endpoints from TLS inspection); never turn verification off.
  steps:
    - "Export the inspecting proxy's root certificate (PEM) from your IT department or from the browser's certificate viewer."
    - Run the tool with --ca-file /path/to/proxy-root.pem.
    - Or ask the network administrator to bypass TLS inspection for login.microsoftonline.com and api.businesscentral.dynamics.com.
    - "On-premises: make sure the server certificate names the exact host you call and chains to a root this machine trusts."
  whoFixes: network-admin
  distinguish: "Run `openssl s_client -connect login.microsoftonline.com:443 -showcerts </dev/null`: if verification fails or the chain ends in your proxy's own CA, this is the cause (rerun with --ca-file to confirm)."
  docs: [m365-endpoints]
  match:
    - text:
        - "CERTIFICATE_VERIFY_FAILED"
        - "certificate verify failed"
        - "unable to get local issuer certificate"
        - "self signed certificate in certificate chain"
        - "self-signed certificate in certificate chain"
        - "SELF_SIGNED_CERT_IN_CHAIN"
        - "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
        - "SSL certificate problem"
        - "The remote certificate is invalid"
        - "RemoteCertificateChainErrors"
        - "RemoteCertificateNameMismatch"
        - "Could not establish trust relationship for the SSL/TLS secure channel"
        - "x509: certificate signed by unknown authority"
        - "x509: certificate is valid for"
        - "PKIX path building failed"
        - "unable to find valid certification path"
        - "SSLCertVerificationError"
        - "Hostname mismatch"
        - "The certificate for this server is invalid"

network.proxy-auth-required:
  summary: A proxy answered 407 Proxy Authentication Required; it wants credentials before it forwards the request.
  why: The request never reached Microsoft. The network's proxy requires the client to authenticate, and the tool sent no proxy credentials.
  fix: Configure the proxy credentials (or an authentication-free route) for the tool, or ask the network administrator to exempt the Microsoft endpoints.
  steps:
    - "Set HTTPS_PROXY=http://user:password@proxy.example.com:8080 for the tool, if your proxy accepts basic credentials."
    - Ask the network administrator to allow login.microsoftonline.com and api.businesscentral.dynamics.com without proxy authentication for this machine or service account.
  whoFixes: network-admin
  distinguish: "Run `curl -sv -o /dev/null https://api.businesscentral.dynamics.com/` with the same HTTPS_PROXY: if the proxy answers 407 Proxy Authentication Required, this is the cause."
  docs: [m365-endpoints]
  match:
    - http: [407]
    - text: ["Proxy Authentication Required", "ProxyAuthenticationRequired", "407 Proxy"]

network.unexpected-response:
  summary: Something answered with HTML or other non-JSON text where a JSON response was expected.
  why: >-
    Entra ID and Business Central answer API calls with JSON. An HTML page or cut-off JSON means a captive portal,
    a proxy error page, a load balancer or a wrong URL answered instead of the real service.
  fix: Open the same URL from this machine to see who answers, and fix the URL or the network path so the request reaches the real service.
  steps:
    - "Run curl -sv <the URL the tool called> and read the status line, the Server header and the first lines of the body."
    - "If it is a sign-in or block page of your network, ask the network administrator to allow the endpoint for this machine."
    - If it is a Microsoft HTML page, check that the URL is the API address (api.businesscentral.dynamics.com, /oauth2/v2.0/token) and not a web client or portal address.
  whoFixes: network-admin
  distinguish: "Run `curl -si <the URL that failed> | head -20`: if Content-Type is text/html or the body is a sign-in, block or proxy error page instead of JSON, this is the cause."
  docs: [bc-web-service-troubleshooting, m365-endpoints]
  match:
    - text: ["<html", "<!DOCTYPE html"]
      boost: -20
    - text:
        - "Unexpected token <"
        - "is not valid JSON"
        - "JSONDecodeError"
        - "Expecting value: line 1 column 1"
        - "Unexpected character encountered while parsing value: <"
        - "Token response is not in json format"
        - "Unexpected end of JSON input"
        - "Unterminated string starting at"
      boost: -10
    - http: [404, 407]
      endpoint: [token, bc-api, admin, onprem]
      boost: -15

network.tenant-restricted:
  summary: A proxy on your network applies tenant restrictions, and the tenant this request is for is not on its allowed list.
  why: >-
    Tenant restrictions let a company's proxy add a header that allows sign-in only to the company's own tenants.
    A partner working for a customer tenant from inside such a network is refused by Entra ID before the app is looked at.
  fix: Ask the network team to add the customer's tenant to the proxy's tenant-restriction list, or run the integration from a network without that restriction.
  steps:
    - Ask the network team whether the proxy inserts Restrict-Access-To-Tenants (v1) or sec-Restrict-Tenant-Access-Policy (v2) headers.
    - Have the customer's tenant id added to the allowed tenants, or run the token request from another network.
  whoFixes: network-admin
  distinguish: "Repeat the token request from a network without the company proxy (or a mobile hotspot): if it succeeds there, tenant restrictions on the proxy are the cause."
  docs: [entra-error-codes]
  match:
    - aadsts: [500021, 500022, 50002]
    - text: ["tenant restrictions", "Restrict-Access-To-Tenants", "sec-Restrict-Tenant-Access-Policy"]
      boost: -10
    - http: [400, 403]
      endpoint: [token]
      boost: -8


network.cleartext-http:
  summary: The on-premises server was called over plain http, so the access token travelled in cleartext.
  why: >-
    With --allow-http-bc-url the tool sends the bearer token to an http:// server instance, as a local
    development container expects. Anyone who can read the traffic between this machine and the server can
    reuse the token until it expires.
  fix: Serve the OData and API endpoints over https and check again with an https --bc-url.
  steps:
    - "Give the service tier a certificate: set ServicesCertificateThumbprint and ODataServicesSSLEnabled (and APIServicesEnabled) in CustomSettings.config, then restart the server instance."
    - Or put a TLS-terminating reverse proxy in front of the OData port and use its https address.
    - Keep --allow-http-bc-url for throwaway development containers only.
  whoFixes: server-admin
  distinguish: "Look at the --bc-url: if it starts with http:// (not https://), the token was sent in cleartext and this finding applies."
  docs: [bc-server-settings, bc-configure-web-server]
"""# + "\n"
    ),
    (
      "reasons/onprem.yaml",
      #"""
# Reasons specific to Business Central on-premises server instances.

onprem.audience-not-valid:
  summary: The server's ValidAudiences setting does not contain the token's exact aud value, so the server rejects the token.
  why: >-
    A Business Central server accepts only tokens whose aud claim is listed in ValidAudiences. S2S tokens carry
    https://api.businesscentral.dynamics.com (sometimes with a trailing slash, or as the resource GUID); if that exact
    string is missing, API calls fail with Authentication_InvalidCredentials and the server logs
    SecurityTokenInvalidAudienceException.
  fix: Add the token's aud value (normally https://api.businesscentral.dynamics.com) to ValidAudiences and restart the server instance.
  steps:
    - Decode a token the integration uses and copy its aud claim exactly.
    - "Set-NAVServerConfiguration -ServerInstance BC -KeyName ValidAudiences -KeyValue \"<your app id>;https://api.businesscentral.dynamics.com\" (keep existing entries, separated by semicolons)."
    - "Restart-NAVServerInstance -ServerInstance BC (ValidAudiences is not applied without a restart)."
  whoFixes: server-admin
  distinguish: "Search the server's event log for IDX10214 or SecurityTokenInvalidAudienceException: if found and the token's exact aud is not in ValidAudiences, this is the cause."
  docs: [bc-s2s, bc-onprem-openid-connect, entra-optional-claims]
  match:
    - bc: [Authentication_InvalidCredentials]
      endpoint: [onprem]
    - http: [401]
      endpoint: [onprem]
      boost: 10
    - text: ["securitytokeninvalidaudienceexception", "IDX10214", "Audience validation failed", "IDX10208", "Unable to validate audience"]
      boost: 25
    - text: ["audience * does not match", "audience uri", "audience * is invalid", "invalid audience"]
      endpoint: [onprem]
      boost: 30
    - http: [401]
      url: [onprem-url]
      boost: 20

onprem.not-entra-auth:
  summary: The server instance is not configured for Microsoft Entra authentication (ClientServicesCredentialType is not AccessControlService).
  why: >-
    Bearer tokens are only accepted when the server uses AccessControlService. With Windows or NavUserPassword
    authentication the server ignores the token and asks for other credentials.
  fix: Configure the server and web server instances for Microsoft Entra ID (ClientServicesCredentialType = AccessControlService) and restart them.
  steps:
    - "Check the current value: Get-NAVServerConfiguration -ServerInstance BC -KeyName ClientServicesCredentialType."
    - "Set-NAVServerConfiguration -ServerInstance BC -KeyName ClientServicesCredentialType -KeyValue AccessControlService, and the same key with Set-NAVWebServerInstanceConfiguration for the web server instance."
    - Complete the Entra ID setup (ValidAudiences, ADOpenIdMetadataLocation on v22+ or ClientServicesFederationMetadataLocation on older versions), then Restart-NAVServerInstance -ServerInstance BC.
  whoFixes: server-admin
  distinguish: "Run `Get-NAVServerConfiguration -ServerInstance BC -KeyName ClientServicesCredentialType`: if it is not AccessControlService (e.g. Windows or NavUserPassword), this is the cause."
  docs: [bc-onprem-openid-connect, bc-server-settings, bc-configure-web-server]
  match:
    - text: ["WWW-Authenticate: Negotiate", "WWW-Authenticate: NTLM", "WWW-Authenticate: Basic"]
      endpoint: [onprem]
      boost: 25
    - text: ["NavUserPassword"]
    - http: [401]
      endpoint: [onprem]
      boost: -3

onprem.metadata-tenant-mismatch:
  summary: The server trusts another Entra tenant than the one that issued the token (metadata location names a different tenant).
  why: >-
    The server validates the token issuer against the OpenID (or federation) metadata it is configured with. If that
    points at another tenant, tokens from the customer's tenant fail issuer validation.
  fix: Point the metadata location at the token's tenant (or at common for multitenant servers) and restart the server instance.
  steps:
    - "v22 and later: Set-NAVServerConfiguration -ServerInstance BC -KeyName ADOpenIdMetadataLocation -KeyValue \"https://login.microsoftonline.com/<tenant id>/.well-known/openid-configuration\"."
    - "v21 and earlier: set ClientServicesFederationMetadataLocation to https://login.microsoftonline.com/<tenant id>/FederationMetadata/2007-06/FederationMetadata.xml."
    - Restart-NAVServerInstance -ServerInstance BC.
  whoFixes: server-admin
  distinguish: "Compare the tenant in ADOpenIdMetadataLocation (v22+) or ClientServicesFederationMetadataLocation with the token's tid: if they differ and it is not common, this is the cause."
  docs: [bc-onprem-openid-connect, bc-onprem-ws-federation]
  match:
    - text: ["IDX10205", "SecurityTokenInvalidIssuerException", "Issuer validation failed", "IDX10204", "Unable to validate issuer"]
      boost: 25
    - http: [401]
      endpoint: [onprem]
      boost: -6

onprem.tenant-parameter-missing:
  summary: The server is multitenant, but the request names no tenant (no ?tenant= and no host-name tenant), so it reaches none.
  why: >-
    A multitenant server instance picks the tenant from the tenant query parameter or from the host name. Without
    either, and without a tenant mounted with the token's Entra tenant ID, the call cannot be routed.
  fix: Add ?tenant=<tenant id> to the request URL (or use host-name tenants), and mount the tenant with its Entra tenant ID.
  steps:
    - "Call https://<server>:7048/<instance>/api/v2.0/companies?tenant=<BC tenant id>."
    - "Mount-NAVTenant -ServerInstance BC -Tenant <BC tenant id> -DatabaseName <database> -AadTenantId <Entra tenant id> (dismount first with Dismount-NAVTenant if it is already mounted)."
  whoFixes: integration-developer
  distinguish: "Call https://<server>:7048/<instance>/api/v2.0/companies?tenant=<BC tenant id>: if it succeeds where the same call without ?tenant= failed, this is the cause."
  docs: [bc-web-services, bc-onprem-openid-connect]
  match:
    - text: ["tenant was not specified", "tenant is not specified", "NavTenantNotFoundException", "multiple tenants", "tenant * is not mounted", "tenant * does not exist"]
      boost: 10
    - http: [401, 404]
      url: [no-tenant-parameter]
      endpoint: [onprem]
      boost: -5
    - http: [404]
      endpoint: [onprem]
      boost: -2

onprem.api-disabled:
  summary: The server instance has this web service endpoint switched off (HTTP 405).
  why: >-
    On-premises, the API and OData endpoints are disabled unless ApiServicesEnabled and ODataServicesEnabled are set
    to true; a disabled endpoint answers 405 Method Not Allowed.
  fix: Enable ApiServicesEnabled and ODataServicesEnabled on the server instance, restart it, and integrate the APIs.
  steps:
    - "Set-NAVServerConfiguration -ServerInstance BC -KeyName ApiServicesEnabled -KeyValue true"
    - "Set-NAVServerConfiguration -ServerInstance BC -KeyName ODataServicesEnabled -KeyValue true"
    - Restart-NAVServerInstance -ServerInstance BC, then in Business Central open *API Setup* and run Integrate APIs.
  whoFixes: server-admin
  distinguish: "Run `Get-NAVServerConfiguration -ServerInstance BC -KeyName ApiServicesEnabled` (and ODataServicesEnabled): if either is false and the call answers 405, this is the cause."
  docs: [bc-enable-apis-onprem, bc-server-settings]
  match:
    - http: [405]
      endpoint: [onprem, bc-api]
    - text: ["405 Method Not Allowed"]
      endpoint: [onprem]

onprem.version-unsupported:
  summary: This Business Central server version does not support service-to-service authentication.
  why: >-
    S2S on-premises requires 18.11 or later in the 18.x line, 19.5 or later in the 19.x line, or any version from 20.0
    on. OpenID Connect only exists from version 20, so 18.x and 19.x servers authenticate with WS-Federation
    (ClientServicesFederationMetadataLocation).
  fix: Update the server to 18.11, 19.5 or a later version before setting up S2S.
  steps:
    - "Read the application version in the web client (Help & Support); Get-NAVServerInstance -ServerInstance BC | Select-Object Version shows the platform build."
    - Install the latest cumulative update for your major version (at least 18.11 or 19.5), or upgrade to a current version.
  whoFixes: server-admin
  distinguish: "Open Help & Support in the BC web client and read the application version: if it is 18.x below 18.11, 19.x below 19.5, or older than 18, this is the cause."
  docs: [bc-s2s, bc-onprem-ws-federation]

onprem.redirect-uri-mismatch:
  summary: The redirect URI is not the one this server sends for consent (its PublicWebBaseUrl followed by /OAuthLanding.htm).
  why: >-
    When an administrator chooses Grant Consent in the Business Central web client, the server builds the redirect URI
    from its PublicWebBaseUrl setting (default port :443 dropped) plus OAuthLanding.htm. Entra ID compares it exactly
    with the registered redirect URIs, so another host name, instance path or capitalisation fails with AADSTS50011.
  fix: Register <PublicWebBaseUrl>/OAuthLanding.htm exactly as a Web redirect URI, or set PublicWebBaseUrl to the address users browse to and restart the server instance.
  steps:
    - "Read the setting: Get-NAVServerConfiguration -ServerInstance BC -KeyName PublicWebBaseUrl."
    - "Register that URL followed by OAuthLanding.htm (no :443, same case) under App registrations > (your app) > Authentication > Web > Redirect URIs."
    - "Or correct the server: Set-NAVServerConfiguration -ServerInstance BC -KeyName PublicWebBaseUrl -KeyValue \"https://bc.contoso.com/BC/\", then Restart-NAVServerInstance -ServerInstance BC."
  whoFixes: server-admin
  distinguish: "Run `Get-NAVServerConfiguration -ServerInstance BC -KeyName PublicWebBaseUrl` and append OAuthLanding.htm: if that exact URI (host, case, no :443) is not a registered Web redirect URI, this is the cause."
  docs: [bc-register-app-azure, bc-server-settings, entra-reply-url]
  match:
    - text: ["Reply address did not match", "reply address * does not match", "reply url * does not match"]
      endpoint: [onprem]
      boost: 30
    - aadsts: [50011, 500113]
      url: [onprem-redirect]
      boost: 10

onprem.token-lifetime-exceeded:
  summary: The server rejected a token whose validity period had ended ("The SAML2 token is not valid because its validity period has ended").
  why: >-
    The server refuses a security token after its validity period. Clients that keep a token too long, a clock that
    runs ahead, or client sessions that outlive the server's ExtendedSecurityTokenLifetime all end with this error in
    the server's event log.
  fix: Request a new token before the old one expires; if sessions must outlive the token, raise ExtendedSecurityTokenLifetime and restart the server instance.
  steps:
    - Make the integration cache a token only until shortly before its exp claim, then request a new one.
    - "Check the clocks of the client and the server (w32tm /stripchart /computer:time.windows.com /samples:3)."
    - "Set-NAVServerConfiguration -ServerInstance BC -KeyName ExtendedSecurityTokenLifetime -KeyValue \"12\" (hours, 0 to 24), then Restart-NAVServerInstance -ServerInstance BC."
  whoFixes: server-admin
  distinguish: "Search the server's event log for \"The SAML2 token is not valid because its validity period has ended\": if it appears at the time of the failure, this is the cause."
  docs: [bc-server-settings, entra-access-tokens]
  match:
    - text: ["The SAML2 token is not valid because its validity period has ended", "validity period has ended"]
      boost: 25
    - text: ["validity period * ended", "ID4148", "NotOnOrAfter", "token is rejected because * NotOnOrAfter"]
      boost: 20


onprem.extension-upload-unsupported:
  summary: The on-premises server instance does not accept per-tenant extension uploads through the automation API.
  why: >-
    On-premises, the automation API's extensionUpload needs an external deployer installed on the server instance to
    publish and install the uploaded app; without one the server refuses the upload whatever the app's permissions.
  fix: Install an external deployer on the server instance, or publish the app with Publish-NAVApp and Install-NAVApp instead.
  steps:
    - "Publish directly on the server: Publish-NAVApp -ServerInstance BC -Path app.app, then Sync-NAVApp and Install-NAVApp (or Publish-BcContainerApp for containers)."
    - Or install an external deployer on the server instance (your pipeline tool documents one) and restart the instance.
  whoFixes: server-admin
  distinguish: "Publish the same .app with Publish-NAVApp on the server: if that works while the automation API upload is refused, the instance has no deployer for uploads."
  docs: [bc-automation-apis, bc-enable-apis-onprem]
  match:
    - text: ["Upload of per-tenant extensions is not supported", "per-tenant extensions is not supported for your system configuration", "external deployer"]
"""# + "\n"
    ),
    (
      "reasons/registration.yaml",
      #"""
# Reasons found by reading the app registration itself through Microsoft Graph, with the app's own
# credential (an app may read its own application object and service principal without any Graph
# permission).

registration.graph-refused:
  summary: Microsoft Graph refused to show the app its own registration, so the registration could not be inspected.
  why: >-
    An app normally may read its own application object and service principal with an app-only Graph token and no
    Graph permission. A tenant policy (Conditional Access for workload identities, a restricted Graph), a token the
    token endpoint would not issue for Graph, or a 401/403 from Graph stops that read. Business Central access is not
    affected by this; only the registration checks (secret expiry, configured permissions, redirect URIs) are lost.
  fix: Allow the app an app-only token for https://graph.microsoft.com, or run the registration checks as an administrator with Application.Read.All.
  steps:
    - Read the Graph error code in the evidence (Authorization_RequestDenied, InvalidAuthenticationToken, or the AADSTS code of the token request).
    - "Microsoft Entra admin center > Protection > Conditional Access: look for a policy that targets workload identities and includes this app or Microsoft Graph."
    - If the tenant forbids it on purpose, check the registration by hand in App registrations > (your app) > Certificates & secrets and API permissions.
  whoFixes: entra-admin
  distinguish: "Request a token with scope https://graph.microsoft.com/.default and GET /v1.0/applications(appId='<client id>') with it: a 401/403 (Authorization_RequestDenied) or a refused token is this reason."
  docs: [graph-errors, graph-serviceprincipal-get, entra-workload-identity-ca]
  match:
    - text: ["Authorization_RequestDenied", "Insufficient privileges to complete the operation"]
      boost: -20

registration.credential-expiring:
  summary: The client secret or certificate this integration uses expires soon.
  why: >-
    Entra ID stops issuing tokens the moment the credential's end date passes (AADSTS7000222 for a secret), and the
    integration stops working without warning, often first noticed on a Monday morning. Rotating before the date
    costs nothing; rotating after it costs an outage.
  fix: Add a new client secret (or upload a new certificate) now, put it into the integration, then delete the old one after the switch.
  steps:
    - "Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > Certificates & secrets > New client secret; choose an end date of at most 12 months (24 at most)."
    - Store the new value where the integration reads its secret (Key Vault, pipeline secret, BC setup page) and run `s2s-doctor check` with it.
    - When the check passes with the new secret, delete the old secret (matched by its hint, the first three characters) from the same page.
  whoFixes: entra-admin
  distinguish: "Open Certificates & secrets and find the credential whose hint (first three characters) matches the secret in use: if its Expires date is within the warning window, this is the cause."
  docs: [entra-add-credentials, graph-application]
  match:
    - text: ["secret expires soon", "secret is about to expire", "certificate is about to expire", "credential is about to expire"]

registration.permission-not-added:
  summary: The Business Central application permission is not in the app registration's API permissions at all.
  why: >-
    Admin consent can only grant what the registration asks for: an application permission that was never added to
    requiredResourceAccess (API permissions) cannot be consented, so the token never carries that role and Business
    Central refuses the call. Granting consent again does not help until the permission is added.
  fix: Add the missing Business Central application permission to the app registration, then grant admin consent and request a new token.
  steps:
    - "Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > API permissions > Add a permission > APIs my organization uses > Dynamics 365 Business Central > Application permissions: select the missing permission (API.ReadWrite.All, Automation.ReadWrite.All)."
    - Choose Grant admin consent for <tenant> on the same page (Cloud Application Administrator or higher).
    - Request a fresh token and confirm its roles claim lists the permission.
  whoFixes: entra-admin
  distinguish: "Open App registrations > (your app) > API permissions: if the Business Central permission is not listed at all (rather than listed as Not granted), this is the cause."
  docs: [bc-s2s, graph-application, entra-grant-admin-consent]

registration.permission-not-consented:
  summary: The Business Central application permission is added to the registration but admin consent was not granted in this tenant.
  why: >-
    requiredResourceAccess only describes what the app asks for; the grant is a separate admin consent per tenant.
    Until an administrator consents, tokens are issued without that role and Business Central refuses the call. This
    is the usual state right after adding a permission, and in every customer tenant of a multitenant app.
  fix: Grant admin consent for the Business Central permissions in this tenant, then request a new token.
  steps:
    - "App registrations > (your app) > API permissions > Grant admin consent for <tenant> (Cloud Application Administrator, Application Administrator or Global Administrator)."
    - Or open the admin consent URL (`s2s-doctor consent-url`) as an administrator of the tenant, or use Grant Consent on the Microsoft Entra Application Card in Business Central.
    - Request a fresh token; tokens issued before consent never gain roles.
  whoFixes: entra-admin
  distinguish: "Open App registrations > (your app) > API permissions: if the permission is listed with status Not granted for <tenant>, this is the cause."
  docs: [entra-grant-admin-consent, entra-admin-consent-v2, bc-s2s]
  match:
    - text: ["Not granted for"]

registration.redirect-uri-missing:
  summary: The redirect URI that Business Central's Grant Consent needs is not registered on the app.
  why: >-
    Grant Consent on the Microsoft Entra Application Card sends the administrator to the admin consent endpoint with
    the OAuthLanding.htm page as redirect URI. If that URI is not a Web redirect URI of the registration, Entra ID
    stops the consent with AADSTS50011 (redirect URI mismatch).
  fix: Add the OAuthLanding.htm address as a Web platform redirect URI of the app registration.
  steps:
    - "App registrations > (your app) > Authentication > Add a platform > Web (or the existing Web platform) > Redirect URIs: add https://businesscentral.dynamics.com/OAuthLanding.htm (on-premises: https://<server>/<instance>/OAuthLanding.htm)."
    - Save, then use Grant Consent on the Microsoft Entra Application Card again.
  whoFixes: entra-admin
  distinguish: "Open App registrations > (your app) > Authentication: if the Web platform does not list the exact OAuthLanding.htm URL Business Central uses, this is the cause."
  docs: [bc-s2s, entra-reply-url, tshoot-aadsts50011]

registration.single-tenant:
  summary: The app registration is single-tenant but it is used in other tenants.
  why: >-
    An app whose supported account types is "this organizational directory only" (signInAudience AzureADMyOrg) can
    get tokens only in its home tenant. A partner integration or a fleet that reaches customer tenants needs a
    multitenant registration (AzureADMultipleOrgs), consented once in each customer tenant.
  fix: Change the registration's supported account types to multitenant, then grant admin consent in each customer tenant.
  steps:
    - "App registrations > (your app) > Authentication > Supported account types: Accounts in any organizational directory (Any Microsoft Entra ID tenant - Multitenant); save."
    - For each customer tenant, send its administrator the admin consent URL (`s2s-doctor consent-url --tenant <customer tenant>`).
  whoFixes: entra-admin
  distinguish: "Read App registrations > (your app) > Overview > Supported account types: 'My organization only' while the app is used in another tenant is this cause."
  docs: [entra-supported-accounts, entra-multitenant]
"""# + "\n"
    ),
    (
      "reasons/token.yaml",
      #"""
# Reasons found in an issued access token whose claims are wrong for Business Central.

token.audience-not-bc:
  summary: The access token was issued for another resource, not for Business Central.
  why: >-
    Business Central accepts only tokens whose aud claim is https://api.businesscentral.dynamics.com (or the Business
    Central resource ID 996def3d-b36c-4153-8607-a6fd3c01b89f). A Microsoft Graph or custom-API token is rejected with 401.
  fix: Request the token with scope https://api.businesscentral.dynamics.com/.default (on the v1 endpoint, resource=https://api.businesscentral.dynamics.com).
  steps:
    - Decode the token (for example at https://jwt.ms) and read the aud claim.
    - Change the scope the integration requests to https://api.businesscentral.dynamics.com/.default and get a new token.
  whoFixes: integration-developer
  distinguish: "Paste the token into jwt.ms: if aud is neither https://api.businesscentral.dynamics.com nor 996def3d-b36c-4153-8607-a6fd3c01b89f (e.g. it is Graph), this is the cause."
  docs: [entra-access-tokens, entra-client-credentials]
  match:
    - text:
        - "\"aud\": \"https://graph.microsoft.com\""
        - "\"aud\":\"https://graph.microsoft.com\""
        - "\"aud\": \"00000003-0000-0000-c000-000000000000\""
        - "\"aud\":\"00000003-0000-0000-c000-000000000000\""
      boost: -10
    - http: [401]
      endpoint: [bc-api, automation, onprem, admin]
      boost: 4
    - text: ["InvalidAuthenticationToken", "Access token validation failure", "invalid audience", "audience is invalid", "wrong audience", "aud claim"]
      boost: -5
    - http: [401]
      boost: -6

token.roles-missing:
  summary: The token has no roles claim, so no Business Central application permission has been consented for this app.
  why: >-
    Entra ID issues app-only tokens even when no application permission is granted; the token then simply has no
    roles. Business Central finds no entitlement in it and refuses the call.
  fix: Add the Business Central application permissions to the app registration, grant admin consent in the customer's tenant, then request a new token.
  steps:
    - "Microsoft Entra admin center > Identity > Applications > App registrations > (your app) > API permissions > Add a permission > Microsoft APIs > Dynamics 365 Business Central > Application permissions: select API.ReadWrite.All (and Automation.ReadWrite.All if you use automation APIs)."
    - Choose Grant admin consent for <tenant> on the same page (needs Cloud Application Administrator or higher), or use Grant Consent on the *Microsoft Entra Application Card* in Business Central.
    - Request a fresh token; tokens issued before consent never gain roles.
  whoFixes: entra-admin
  distinguish: "Request a fresh token and decode it at jwt.ms: if it has no roles claim at all, no BC application permission is consented and this is the cause."
  docs: [bc-s2s, entra-access-token-claims]
  match:
    - text: ["roles claim", "The token is missing the roles", "role-section is missing", "no roles in the token", "is not entitled"]
    - text: ["user could not be authenticated or authorized", "does not have any entitlements"]
      boost: 25
    - http: [401]
      endpoint: [bc-api]
      boost: 3
    - http: [401]
      boost: -9

token.api-role-missing:
  summary: The token's roles do not include API.ReadWrite.All, which Business Central APIs and web services require.
  why: The app has consent for some Business Central permissions but not for API.ReadWrite.All, so API, OData and SOAP calls are refused.
  fix: Add the application permission API.ReadWrite.All, grant admin consent, and request a new token.
  steps:
    - "App registrations > (your app) > API permissions > Add a permission > Microsoft APIs > Dynamics 365 Business Central > Application permissions > API.ReadWrite.All."
    - Grant admin consent for <tenant>, then get a new token and confirm roles contains API.ReadWrite.All.
  whoFixes: entra-admin
  distinguish: "Run `s2s-doctor check --tenant T --client-id C --check token.roles`: if the token has roles but API.ReadWrite.All is not among them, this is the cause."
  docs: [bc-s2s, entra-access-token-claims]
  match:
    - http: [403]
      endpoint: [bc-api]
      boost: -5
    - http: [403]
      boost: -8

token.automation-role-missing:
  summary: The token's roles do not include Automation.ReadWrite.All, which the automation APIs require.
  why: Calls under /api/microsoft/automation/ need an application token carrying Automation.ReadWrite.All; without it they are refused even if data APIs work.
  fix: Add the application permission Automation.ReadWrite.All, grant admin consent, and request a new token.
  steps:
    - "App registrations > (your app) > API permissions > Add a permission > Microsoft APIs > Dynamics 365 Business Central > Application permissions > Automation.ReadWrite.All."
    - Grant admin consent for <tenant>, then get a new token and confirm roles contains Automation.ReadWrite.All.
  whoFixes: entra-admin
  distinguish: "Decode a fresh token: if roles has API.ReadWrite.All but not Automation.ReadWrite.All, and only /api/microsoft/automation/ calls fail, this is the cause."
  docs: [bc-s2s, bc-automation-apis]
  match:
    - http: [401, 403]
      endpoint: [automation]
      boost: 0

token.tenant-mismatch:
  summary: The token was issued by a different tenant (tid) than the Business Central tenant being called.
  why: >-
    A multitenant integration often requests the token at its own home tenant. Business Central serves the tenant
    named in the token, so the customer's environment is not reached.
  fix: Request the token at the customer's tenant endpoint, https://login.microsoftonline.com/<customer tenant id>/oauth2/v2.0/token.
  steps:
    - Decode the token and compare tid with the customer's Directory (tenant) ID.
    - Make sure the app has admin consent in the customer's tenant, then request the token there.
  whoFixes: integration-developer
  distinguish: "Decode the token and compare tid with the customer's Tenant ID (Entra admin center > Overview): if tid is another tenant, such as your home tenant, this is the cause."
  docs: [entra-client-credentials, entra-access-token-claims]
  match:
    - http: [401]
      endpoint: [bc-api, automation]
      boost: -2
    - text: ["token * from another tenant", "token * issued by a different tenant", "tenant * does not match * token"]

token.not-app-only:
  summary: This is a delegated (user) token, not the app-only token that service-to-service access uses.
  why: >-
    A token with an scp claim, or with idtyp other than app, acts on behalf of a signed-in user. S2S integrations must
    use the client credentials flow so that Business Central maps the call to the registered application.
  fix: Obtain the token with grant_type=client_credentials (MSAL acquire_token_for_client / AcquireTokenForClient) instead of a user sign-in flow.
  steps:
    - Replace authorization-code, device-code or password flows with the client credentials flow.
    - Decode the new token and confirm it has roles and no scp claim.
  whoFixes: integration-developer
  distinguish: "Decode the token at jwt.ms: if it has an scp claim or idtyp = user and no roles, it is a delegated user token and this is the cause."
  docs: [entra-client-credentials, entra-access-token-claims]
  match:
    - text: ["\"idtyp\": \"user\"", "\"idtyp\":\"user\""]
      boost: -10
    - text: ["delegated token", "user token", "scp claim"]
      boost: -20

token.clock-skew:
  summary: This machine's clock differs from the server's by more than five minutes, so token time checks fail.
  why: >-
    Tokens carry not-before and expiry times. A skewed clock makes fresh tokens look not yet valid or already
    expired, causing intermittent 401s and rejected assertions.
  fix: Synchronise this machine's clock with an internet time source and keep it synchronised.
  steps:
    - "Windows: w32tm /resync; Linux: timedatectl set-ntp true (check with timedatectl status)."
    - Compare the local time with the Date header of any HTTPS response from Microsoft.
  whoFixes: integration-developer
  distinguish: "Compare `date -u` on this machine with the Date header of `curl -sI https://login.microsoftonline.com`: if they differ by more than five minutes, this is the cause."
  docs: [entra-access-tokens]
  match:
    - text: ["IDX10222", "The token is not yet valid", "clock skew"]
      boost: 10
    - text: ["Lifetime validation failed"]
      boost: -20

token.expired:
  summary: The bearer token sent was already expired (or not yet valid), so the service refused it whatever its claims say.
  why: >-
    Access tokens for Business Central live about an hour. An integration that caches a token and keeps sending it
    after exp, or a script that pastes an old token into a request, gets 401 even though the registration is fine.
  fix: Request a new token for every run (or refresh it about five minutes before exp) instead of reusing an old one.
  steps:
    - Decode the token (jwt.ms) and compare exp and nbf with the current UTC time.
    - Let the client library cache the token (MSAL's acquire_token_for_client does) instead of storing it yourself.
    - If tokens expire early or are not yet valid on arrival, check both machines' clocks.
  whoFixes: integration-developer
  distinguish: "Decode the token that was actually sent and compare exp with the current UTC time on a correctly set clock: if exp is already past, this is the cause."
  docs: [entra-access-tokens, entra-access-token-claims]
  match:
    - text: ["IDX10223", "The token is expired", "token has expired", "token expired", "expired token", "Lifetime validation failed. The token is expired", "SecurityTokenExpiredException", "error_description=\"The token expired"]
    - text: ["invalid_token"]
      http: [401]
      boost: -15
    - http: [401]
      endpoint: [bc-api, automation, admin, onprem]
      boost: -1

token.issuer-mismatch:
  summary: The service rejected the token's issuer (iss), for example a v1 token where v2 is expected, or a token from another tenant.
  why: >-
    A service that validates tokens itself (Business Central on-premises, an Azure Function in front of BC, your own
    API) accepts only the issuers it was configured with. Entra issues v1 tokens (https://sts.windows.net/<tid>/)
    when the resource's registration says so, and v2 tokens (https://login.microsoftonline.com/<tid>/v2.0) otherwise.
  fix: Make the validator accept the issuer the token really carries, or request the token from the tenant the validator trusts.
  steps:
    - Decode the token and read iss, ver and tid.
    - On-premises, point the OpenID metadata setting at the token's tenant (see onprem.metadata-tenant-mismatch); in your own API, add both the v1 and v2 issuer of that tenant to the valid issuers.
    - If tid is another tenant than the one the service trusts, request the token at the right tenant.
  whoFixes: integration-developer
  distinguish: "Decode the token and compare iss with the issuer the validating service trusts: if they differ (sts.windows.net v1 vs login.microsoftonline.com/…/v2.0, or another tenant), this is the cause."
  docs: [entra-access-tokens, bc-onprem-openid-connect]
  match:
    - text: ["IDX10205", "IDX10204", "Issuer validation failed", "SecurityTokenInvalidIssuerException", "Unable to validate issuer", "invalid issuer", "issuer is invalid"]
      boost: -5

token.signature-invalid:
  summary: The service could not validate the token's signature, so it does not trust the token at all.
  why: >-
    The signing keys come from the metadata of the tenant and cloud the service trusts. A token from another tenant or
    cloud, a token that was altered or truncated, or a server whose cached keys are stale fails signature validation.
  fix: Request the token from the tenant and cloud the service is configured for, send it unchanged, and let the service refresh its signing keys.
  steps:
    - Decode the token and compare iss and tid with the tenant in the service's OpenID metadata location.
    - Make sure the whole token is sent (a line break or a cut-off token breaks the signature).
    - On-premises, restart the server instance so that it fetches the current signing keys.
  whoFixes: server-admin
  distinguish: "Search the validating service's log for IDX10501 or IDX10503 (signature validation failed): if present while the token arrived unaltered, this is the cause."
  docs: [entra-access-tokens, bc-onprem-openid-connect]
  match:
    - text: ["IDX10501", "IDX10503", "IDX10511", "IDX10500", "Signature validation failed", "SecurityTokenSignatureKeyNotFoundException", "SecurityTokenInvalidSignatureException", "invalid signature"]

token.stale-after-consent:
  summary: The token was obtained before the permission or consent change, so it still lacks the new roles.
  why: >-
    A token's roles are fixed when it is issued. After admin consent or a new permission, a cached token (MSAL, a
    script variable, a pipeline secret) keeps the old roles for up to an hour.
  fix: Discard the cached token and request a new one; then check that roles contains API.ReadWrite.All.
  steps:
    - Restart the integration or clear its token cache (MSAL keeps tokens in memory until they expire).
    - Request a new token and decode it; roles must list the permissions just consented.
    - If the new token still lacks the role, the consent did not reach this tenant (see token.roles-missing).
  whoFixes: integration-developer
  distinguish: "Decode the token in use and compare iat with when consent was granted: if iat is earlier and a newly requested token carries the roles, this is the cause."
  docs: [entra-access-tokens, entra-grant-admin-consent]
  match:
    - text: ["after granting consent", "after granting admin consent", "after admin consent", "granted consent but", "consent was granted but", "cached token"]
      boost: -25

token.not-sent:
  summary: The request reached the service without a bearer token (no Authorization header, or an empty one).
  why: >-
    A URL opened in a browser, a connector whose authentication is set to none, a variable that was empty when the
    header was built, or a proxy that strips the header: the service sees an anonymous call and answers 401.
  fix: "Send the header Authorization: Bearer <access token> with every call, with a token requested for https://api.businesscentral.dynamics.com/.default."
  steps:
    - Log the outgoing request's headers (without the token's value) and check that Authorization is present and starts with Bearer.
    - Check that the variable holding the token is set at the moment the header is built.
    - In Postman or a connector, set the authorization type to OAuth 2.0 / bearer token rather than none or inherit.
  whoFixes: integration-developer
  distinguish: "Look at the request as sent (curl -v, Fiddler, the connector's run history): if there is no Authorization header, or it is just 'Bearer', this is the cause."
  docs: [bc-oauth-web-services, entra-client-credentials]
  match:
    - text: ["no authorization header", "authorization header is missing", "missing authorization header", "bearer token is missing", "no bearer token", "access token is missing", "missing access token", "Authorization header not found"]
    - http: [401]
      endpoint: [bc-api, automation, admin]
      boost: -3
    - text: ['{"message":"Unauthorized"}', '{"message": "Unauthorized"}', '{ "message": "Unauthorized" }']
      boost: -2

"""# + "\n"
    ),
    (
      "registration.audience/check.yaml",
      #"""
id: registration.audience
title: Single- or multitenant fits how the app is used
rationale: >-
  A single-tenant registration works only in its home tenant; use in customer tenants (a partner integration, a
  fleet) needs a multitenant one.
requires: [registration.read]
reasons:
  - registration.single-tenant
scope: online
"""# + "\n"
    ),
    (
      "registration.credentials/check.yaml",
      #"""
id: registration.credentials
title: The credential in use is not about to expire
rationale: >-
  An expired client secret or certificate is the most common way a working integration suddenly stops; the
  registration shows the end date of the one in use (matched by the secret's hint or the certificate's thumbprint).
requires: [registration.read]
reasons:
  - entra.secret-expired
  - registration.credential-expiring
scope: online
"""# + "\n"
    ),
    (
      "registration.permissions/check.yaml",
      #"""
id: registration.permissions
title: The Business Central permissions are both added and consented
rationale: >-
  Comparing requiredResourceAccess (what the registration asks for) with the token's roles (what was consented)
  tells a permission that was never added from one that still waits for admin consent.
requires: [registration.read]
reasons:
  - registration.permission-not-added
  - registration.permission-not-consented
scope: online
"""# + "\n"
    ),
    (
      "registration.read/check.yaml",
      #"""
id: registration.read
title: Microsoft Graph shows the app its own registration
rationale: >-
  With the same credential, the app may read its own application object and service principal through Microsoft
  Graph without any Graph permission; that is what tells "not added" from "not consented" and sees expiring secrets.
requires: [entra.token]
reasons:
  - registration.graph-refused
scope: online
"""# + "\n"
    ),
    (
      "registration.redirect-uri/check.yaml",
      #"""
id: registration.redirect-uri
title: The Grant Consent redirect URI is registered
rationale: >-
  Business Central's Grant Consent returns to OAuthLanding.htm; when consent is to be given from Business Central,
  that URI must be a Web redirect URI of the registration.
requires: [registration.read, input.redirect-uri]
reasons:
  - registration.redirect-uri-missing
scope: redirect-uri
"""# + "\n"
    ),
    (
      "registration.service-principal/check.yaml",
      #"""
id: registration.service-principal
title: The app's service principal is enabled
rationale: >-
  A disabled service principal (Enterprise applications > Properties > Enabled for users to sign in = No) gets no
  tokens at all.
requires: [registration.read]
reasons:
  - entra.app-disabled
scope: online
"""# + "\n"
    ),
    (
      "token.app-only/check.yaml",
      #"""
id: token.app-only
title: The token is an app-only (S2S) token
rationale: >-
  Service-to-service calls need an application token: roles, no scp, idtyp app. A delegated user token belongs to another flow.
requires: [entra.token]
reasons:
  - token.not-app-only
scope: always
"""# + "\n"
    ),
    (
      "token.audience/check.yaml",
      #"""
id: token.audience
title: The token is for Business Central
rationale: >-
  Business Central only accepts tokens whose aud is its resource URI (or the resource GUID).
requires: [entra.token]
reasons:
  - token.audience-not-bc
scope: always
"""# + "\n"
    ),
    (
      "token.clock/check.yaml",
      #"""
id: token.clock
title: The local clock agrees with Entra ID
rationale: >-
  Tokens carry nbf and exp; a clock more than 5 minutes off makes them look not yet valid or expired.
requires: [entra.token]
reasons:
  - token.clock-skew
scope: always
"""# + "\n"
    ),
    (
      "token.roles/check.yaml",
      #"""
id: token.roles
title: The token carries the Business Central application permissions
rationale: >-
  Admin consent for API.ReadWrite.All (and Automation.ReadWrite.All for the automation APIs) shows up as roles in a newly issued token; without it Business Central refuses the call.
requires: [entra.token]
reasons:
  - token.roles-missing
  - token.api-role-missing
  - token.automation-role-missing
scope: always
"""# + "\n"
    ),
    (
      "token.tenant/check.yaml",
      #"""
id: token.tenant
title: The token comes from the tenant being checked
rationale: >-
  A token from the app's home tenant is not valid in a customer's tenant.
requires: [entra.token]
reasons:
  - token.tenant-mismatch
scope: always
"""# + "\n"
    ),
  ]
}
