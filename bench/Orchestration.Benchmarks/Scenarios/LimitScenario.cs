using Orchestration.Benchmarks.Databases;
using Orchestration.Benchmarks.Engine;
using Orchestration.Benchmarks.Reporting;

namespace Orchestration.Benchmarks.Scenarios;

/// <summary>
/// Scenario 5: the raw database limit on this machine in this run (batched claim + complete without our engine), and
/// our end-to-end drain as a fraction of it. Postgres is measured at several connection counts and the best counts as
/// the limit; SQLite has one writer, so one connection.
/// </summary>
internal sealed class LimitScenario : IScenario
{
    public const string ScenarioName = "limit";
    private static readonly int[] ConnectionCounts = [1, 2, 4, 8];

    public string Name => ScenarioName;

    public async Task RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var stores = context.Settings.Stores;
        if (stores.Contains(StoreKinds.Postgres))
        {
            var ok = await ScenarioSteps.TryAsync(context, Name, Systems.RawNpgsql, StoreKinds.Postgres, () => PostgresAsync(context, cancellationToken));
            if (ok) await FractionAsync(context, StoreKinds.Postgres, Systems.RawNpgsql, cancellationToken);
        }

        if (stores.Contains(StoreKinds.Sqlite))
        {
            var ok = await ScenarioSteps.TryAsync(context, Name, Systems.RawSqlite, StoreKinds.Sqlite, () => SqliteAsync(context, cancellationToken));
            if (ok) await FractionAsync(context, StoreKinds.Sqlite, Systems.RawSqlite, cancellationToken);
        }
    }

    private async Task PostgresAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var rows = context.Settings.LimitRows;
        var server = await context.GetPostgresAsync(cancellationToken);
        await using var db = await server.CreateDatabaseAsync("raw", cancellationToken);
        double best = 0;
        var bestAt = 0;
        var all = new List<string>();
        foreach (var connections in ConnectionCounts)
        {
            var copy = await RawPostgres.FillAsync(db.ConnectionString, rows, cancellationToken);
            if (connections == ConnectionCounts[0])
                context.Add(new Figure(Name, Systems.RawNpgsql, StoreKinds.Postgres, Metrics.Copy, rows / copy.TotalSeconds, Units.RowsPerSecond, rows, "binary COPY of (id, status, payload) into an indexed table"));
            var (elapsed, completed) = await RawPostgres.DrainAsync(db.ConnectionString, connections, cancellationToken);
            if (completed != rows) throw new InvalidOperationException($"raw loop completed {completed} of {rows} rows");
            var rate = rows / elapsed.TotalSeconds;
            all.Add($"{connections} conn: {rate:N0}/s");
            if (rate > best)
            {
                best = rate;
                bestAt = connections;
            }
        }

        context.Add(new Figure(Name, Systems.RawNpgsql, StoreKinds.Postgres, Metrics.ClaimComplete, best, Units.TasksPerSecond, rows,
            $"best of {string.Join(", ", all)} (best at {bestAt}); 2 commits per 100 tasks"));
    }

    private async Task SqliteAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var rows = context.Settings.LimitRows;
        var path = context.NewSqlitePath("raw");
        try
        {
            var (insert, drain, completed) = await RawSqlite.MeasureAsync(path, rows, cancellationToken);
            if (completed != rows) throw new InvalidOperationException($"raw loop completed {completed} of {rows} rows");
            context.Add(new Figure(Name, Systems.RawSqlite, StoreKinds.Sqlite, Metrics.Copy, rows / insert.TotalSeconds, Units.RowsPerSecond, rows, "prepared INSERT, one transaction"));
            context.Add(new Figure(Name, Systems.RawSqlite, StoreKinds.Sqlite, Metrics.ClaimComplete, rows / drain.TotalSeconds, Units.TasksPerSecond, rows, "one connection, WAL, synchronous=NORMAL"));
        }
        finally
        {
            SqliteFiles.Delete(path);
        }
    }

    private async Task FractionAsync(BenchContext context, string store, string rawSystem, CancellationToken cancellationToken)
    {
        var report = context.Report;
        if (report.Find(ThroughputScenario.ScenarioName, Systems.Ours, store, Metrics.Drain) is null
            && !report.Gaps.Any(g => g.Scenario == ThroughputScenario.ScenarioName && g.Store == store))
            await ScenarioSteps.TryAsync(context, ThroughputScenario.ScenarioName, Systems.Ours, store, () => ThroughputScenario.MeasureAsync(context, store, cancellationToken));

        var ours = report.Find(ThroughputScenario.ScenarioName, Systems.Ours, store, Metrics.Drain);
        var limit = report.Find(Name, rawSystem, store, Metrics.ClaimComplete);
        if (ours is null || limit is null)
        {
            context.AddGap(new Gap(Name, Systems.Ours, store, "fraction of the raw limit needs our drain figure on this store, which this run does not have"));
            return;
        }

        context.Add(new Figure(Name, Systems.Ours, store, Metrics.FractionOfLimit, ours.Value / limit.Value * 100, Units.Fraction, context.Settings.ThroughputTasks,
            $"our drain {ours.Value:N0}/s ÷ raw claim100+complete100 {limit.Value:N0}/s"));
    }
}
