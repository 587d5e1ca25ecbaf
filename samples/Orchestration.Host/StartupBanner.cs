using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;

namespace Orchestration.Host;

/// <summary>
/// The few lines a newcomer needs once the host is up: where it listens, where its data lives, which key to use and
/// what to try first. Printed to standard output, apart from the log, so it is not lost among log lines.
/// </summary>
internal sealed class StartupBanner
{
    /// <summary>The admin key generated on a fresh database at this start, or null.</summary>
    public string? GeneratedKey { get; set; }

    public static string DescribeStorage(IConfiguration configuration)
    {
        var storage = (configuration["Orchestration:Storage"] ?? "sqlite").ToLowerInvariant();
        var connectionString = configuration.GetConnectionString("Orchestration");
        switch (storage)
        {
            case "sqlite":
                var source = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(connectionString) ? HostStorage.DefaultSqlite : connectionString).DataSource;
                // SQLite resolves a relative file against the working directory, so that is where the file is.
                return $"SQLite, {Path.GetFullPath(source)}";
            case "postgres":
                // Only where, never the password.
                var pg = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
                return $"PostgreSQL, database '{pg.Database}' on {pg.Host}:{pg.Port}";
            default:
                return "in memory (nothing survives a restart)";
        }
    }

    public string Render(IConfiguration configuration, IServer server, string? dashboardPath)
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5000";
        var baseUrl = address.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .TrimEnd('/');
        var authOn = configuration.GetValue("Orchestration:Auth:Enabled", true);
        string key;
        if (!authOn) key = "none needed: authentication is OFF (Orchestration:Auth:Enabled=false), for local development only";
        else if (GeneratedKey is not null) key = $"{GeneratedKey}\n                 created now for this new database and shown only this once: store it";
        else if (!string.IsNullOrEmpty(configuration["Orchestration:Auth:BootstrapApiKey"])) key = "the one configured in Orchestration:Auth:BootstrapApiKey";
        else key = "the one printed when this database was created (only its hash is stored)";

        var lines = new List<string>
        {
            "",
            "  Orchestration host is running",
            $"    API:         {baseUrl}/api/v1    (OpenAPI: {baseUrl}/openapi/v1.json)",
        };
        if (dashboardPath is not null) lines.Add($"    Dashboard:   {baseUrl}{dashboardPath}");
        lines.Add($"    Storage:     {DescribeStorage(configuration)}");
        lines.Add($"    Admin key:   {key}");
        lines.Add($"    First steps: README.md, \"The first minute\"");
        lines.Add("");
        return string.Join(Environment.NewLine, lines);
    }
}
