using Orchestration.Benchmarks.Databases;
using Orchestration.Benchmarks.Reporting;

namespace Orchestration.Benchmarks;

/// <summary>Shared by the scenarios of one run: settings, the report, the log, the Postgres server and scratch files.</summary>
public sealed class BenchContext : IAsyncDisposable
{
    private readonly Lazy<Task<BenchPostgres>> _postgres;
    private int _sqliteSequence;

    public BenchContext(BenchSettings settings, TextWriter log)
    {
        Settings = settings;
        Log = log;
        WorkDirectory = Path.Combine(Path.GetTempPath(), $"orchestration-bench-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(WorkDirectory);
        _postgres = new Lazy<Task<BenchPostgres>>(() => BenchPostgres.StartAsync(settings.PostgresConnection, CancellationToken.None));
    }

    public BenchSettings Settings { get; }
    public BenchReport Report { get; } = new();
    public TextWriter Log { get; }
    public string WorkDirectory { get; }

    public void AddGap(Gap gap)
    {
        Report.AddGap(gap);
        Info($"NOT MEASURED {gap.Scenario}/{gap.System}/{gap.Store}: {gap.Reason}");
    }

    public void Add(Figure figure)
    {
        Report.Add(figure);
        Info($"{figure.Scenario}/{figure.System}/{figure.Store} {figure.Metric} = {figure.Value:0.###} {figure.Unit} (n={figure.Count})");
    }

    public void Info(string message) => Log.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    internal async Task<BenchPostgres> GetPostgresAsync(CancellationToken cancellationToken) => await _postgres.Value.WaitAsync(cancellationToken);

    internal bool PostgresStarted => _postgres.IsValueCreated && _postgres.Value.IsCompletedSuccessfully;

    internal string? PostgresVersion => PostgresStarted ? _postgres.Value.Result.ServerVersion : null;

    internal string? PostgresOrigin => PostgresStarted ? _postgres.Value.Result.Origin : null;

    internal string NewSqlitePath(string label) =>
        Path.Combine(WorkDirectory, $"{label}-{Interlocked.Increment(ref _sqliteSequence)}.db");

    public async ValueTask DisposeAsync()
    {
        if (_postgres.IsValueCreated)
        {
            try
            {
                var server = await _postgres.Value;
                await server.DisposeAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Starting it failed; the failure was reported where it happened.
            }
        }

        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder.
        }
    }
}
