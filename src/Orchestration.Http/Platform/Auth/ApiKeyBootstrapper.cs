using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Http.Platform.Auth;

/// <summary>
/// Makes sure an operator can reach the admin API on a fresh database: stores the configured bootstrap key (hashed), or
/// generates one when the database has no key at all and logs it once.
/// </summary>
internal sealed class ApiKeyBootstrapper(IIdentityStore identity, IOptions<OrchestrationHttpOptions> options, TimeProvider time, ILogger<ApiKeyBootstrapper> logger) : IHostedService
{
    internal static readonly IReadOnlyList<string> BootstrapPermissions = [Permissions.Admin, Permissions.All];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var auth = options.Value.Auth;
        if (!auth.Enabled) return;
        var now = time.GetUtcNow();
        if (await identity.GetOrgAsync(Org.DefaultId, cancellationToken) is null)
            await identity.CreateOrgAsync(new Org(Org.DefaultId, "Default", now), cancellationToken);

        if (!string.IsNullOrEmpty(auth.BootstrapApiKey))
        {
            await StoreConfiguredKeyAsync(auth.BootstrapApiKey, now, cancellationToken);
            return;
        }

        if (!auth.GenerateBootstrapKey || await identity.CountApiKeysAsync(cancellationToken) > 0) return;
        var (id, key, hash) = ApiKeyFormat.Generate();
        await identity.CreateApiKeyAsync(Record(id, hash, now), cancellationToken);
        // Shown once, as the only way to reach the admin API on a fresh database; only its hash is stored.
        if (auth.BootstrapKeyCreated is { } handOver)
        {
            logger.LogInformation("Orchestration: no API key existed, so an admin key ({KeyId}) was created and handed to the host.", id);
            handOver(key);
        }
        else
        {
            logger.LogWarning("Orchestration: no API key existed, so an admin key was created. Store it now, it is not shown again: {ApiKey}", key);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task StoreConfiguredKeyAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryParse(key, out var id, out var secret))
            throw new InvalidOperationException($"Orchestration:Auth:BootstrapApiKey must be at least {AuthOptions.MinBootstrapKeyLength} characters.");
        var existing = await identity.FindApiKeyAsync(id, cancellationToken);
        if (existing is null)
        {
            await identity.CreateApiKeyAsync(Record(id, ApiKeyFormat.Hash(id, secret), now), cancellationToken);
            logger.LogInformation("Orchestration: stored the configured bootstrap API key as {KeyId}.", id);
        }
        else if (existing.RevokedAt is not null)
        {
            logger.LogWarning("Orchestration: the configured bootstrap API key ({KeyId}) was revoked and stays revoked; configure a new one.", id);
        }
    }

    private static ApiKeyRecord Record(string id, string hash, DateTimeOffset now) => new()
    {
        Id = id,
        OrgId = Org.DefaultId,
        Name = "bootstrap",
        SecretHash = hash,
        Permissions = BootstrapPermissions,
        CreatedAt = now,
    };
}
