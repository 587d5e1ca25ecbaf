namespace Orchestration.Benchmarks.Engine;

/// <summary>The back ends the harness knows by name.</summary>
public static class StoreKinds
{
    public const string InMemory = "inmemory";
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static IReadOnlyList<string> All { get; } = [InMemory, Sqlite, Postgres];
}
