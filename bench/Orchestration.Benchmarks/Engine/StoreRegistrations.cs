using Orchestration.Hosting;

namespace Orchestration.Benchmarks.Engine;

/// <summary>
/// The one place that knows which back-end packages this build contains. A back end that has not landed yet throws
/// <see cref="StoreUnavailableException"/> so the report shows a gap rather than a made-up number.
/// </summary>
internal static class StoreRegistrations
{
    public static bool SqliteAvailable => true;

    public static bool PostgresAvailable => true;

    public static void UseSqlite(OrchestrationOptions options, string connectionString) => options.UseSqlite(connectionString);

    public static void UsePostgres(OrchestrationOptions options, string connectionString) => options.UsePostgres(connectionString);

    /// <summary>Throws when <paramref name="kind"/> cannot be used, before any database work is spent on it.</summary>
    public static void EnsureAvailable(string kind)
    {
        if (kind == StoreKinds.Sqlite && !SqliteAvailable) throw new StoreUnavailableException("sqlite store not available in this build");
        if (kind == StoreKinds.Postgres && !PostgresAvailable) throw new StoreUnavailableException("postgres store not available in this build");
    }
}
