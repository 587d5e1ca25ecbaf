using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary><c>Orchestration:Jwt</c> settings: ES256 from a PEM, and settings the host refuses at start.</summary>
public sealed class FormicaryJwtSettingsTests
{
    private static ApiBackend Backend => ApiBackends.Sqlite;

    [Test]
    public async Task ExchangeToken_Es256PemConfigured_JwtSignedWithEs256Authenticates()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var factory = new ApiFactory(Backend, settings: new Dictionary<string, string?> { ["Orchestration:Jwt:SigningKeyPem"] = ec.ExportECPrivateKeyPem() });
        using var admin = factory.WithKey(ApiFactory.BootstrapKey);

        var (status, issued, _) = await admin.PostJsonAsync("/api/auth/token", new { });
        using var client = factory.Anonymous();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", issued.Str("access_token"));
        var (use, _, _) = await client.GetJsonAsync("/api/users");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), issued?.ToJsonString());
        Assert.That(new JsonWebToken(issued.Str("access_token")).Alg, Is.EqualTo("ES256"));
        Assert.That(use, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ExchangeToken_NoSigningKey_404NamingTheSetting()
    {
        await using var factory = new ApiFactory(Backend);
        using var admin = factory.WithKey(ApiFactory.BootstrapKey);

        var (status, body, _) = await admin.PostJsonAsync("/api/auth/token", new { });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(body.Str("error"), Does.Contain("Orchestration:Jwt:SigningKey"));
    }

    [TestCase("Orchestration:Jwt:SigningKey", "too-short", "at least 32 bytes")]
    [TestCase("Orchestration:Jwt:SigningKeyPem", "not a pem", "SigningKeyPem")]
    [TestCase("Orchestration:Jwt:LifetimeSeconds", "90000", "LifetimeSeconds")]
    public async Task Start_UnusableJwtSetting_RefusedNamingIt(string setting, string value, string message)
    {
        var settings = new Dictionary<string, string?> { [setting] = value };
        if (setting != "Orchestration:Jwt:SigningKey" && setting != "Orchestration:Jwt:SigningKeyPem")
            settings["Orchestration:Jwt:SigningKey"] = "a-valid-signing-key-0123456789-abcdefghij";
        await using var factory = new ApiFactory(Backend, settings: settings);

        var error = Assert.Catch(() => factory.CreateClient());

        Assert.That(error!.ToString(), Does.Contain(message));
    }
}
