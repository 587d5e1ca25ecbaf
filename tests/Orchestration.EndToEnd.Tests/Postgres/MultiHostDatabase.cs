using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orchestration.Engine;
using Orchestration.Hosting;

namespace Orchestration.EndToEnd.Tests.Postgres;

/// <summary>One schema shared by the test (as enqueuer and auditor) and the child hosts, with the handlers' audit tables.</summary>
internal sealed class MultiHostDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private MultiHostDatabase(string connectionString, string schema, ServiceProvider services, NpgsqlDataSource dataSource)
    {
        ConnectionString = connectionString;
        Schema = schema;
        _services = services;
        DataSource = dataSource;
    }

    public string ConnectionString { get; }
    public string Schema { get; }
    public NpgsqlDataSource DataSource { get; }
    public IOrchestrationClient Client => _services.GetRequiredService<IOrchestrationClient>();

    public static async Task<MultiHostDatabase> CreateAsync(string connectionString)
    {
        var schema = Orchestration.Testing.PostgresServer.NewSchemaName();
        var services = new ServiceCollection();
        services.AddOrchestration(o => o.UsePostgres(connectionString, p => p.Schema = schema));
        var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<Orchestration.Postgres.PostgresStore>();
        await store.MigrateAsync(CancellationToken.None);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        var db = new MultiHostDatabase(connectionString, schema, provider, dataSource);
        await db.ExecAsync("""
            CREATE TABLE {s}.e2e_log (task_id uuid NOT NULL, attempt int NOT NULL, executor_id text NOT NULL, PRIMARY KEY (task_id, attempt));
            CREATE TABLE {s}.e2e_duplicates (task_id uuid NOT NULL, attempt int NOT NULL, executor_id text NOT NULL);
            """);
        return db;
    }

    public async Task EnqueueAsync(int runs, int tasksPerRun, int delayMs)
    {
        var specs = Enumerable.Range(0, runs).Select(r => new RunSpec
        {
            Name = $"load-{r}",
            Tasks = Enumerable.Range(0, tasksPerRun).Select(i => new TaskSpec { Name = $"t{i}", Type = "record", InputJson = $$"""{"delayMs":{{delayMs}}}""" }).ToList(),
        }).ToList();
        await Client.CreateRunsAsync(specs);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var cmd = DataSource.CreateCommand(sql.Replace("{s}", "\"" + Schema + "\"", StringComparison.Ordinal));
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<List<(Guid Id, string Executor)>> RunningAsync()
    {
        await using var cmd = DataSource.CreateCommand($"SELECT id, executor_id FROM \"{Schema}\".tasks WHERE status = 'running'");
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<(Guid, string)>();
        while (await reader.ReadAsync()) list.Add((reader.GetGuid(0), reader.GetString(1)));
        return list;
    }

    /// <summary>
    /// The attempts <paramref name="executor"/> left open, once the server has ended all its sessions (a commit sent
    /// just before the kill may still land until then).
    /// </summary>
    public async Task<List<Guid>> OpenAttemptsAsync(string executor)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var sessions = DataSource.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1");
            sessions.Parameters.Add(new NpgsqlParameter { Value = executor });
            if ((long)(await sessions.ExecuteScalarAsync())! == 0) break;
            if (DateTime.UtcNow > deadline) Assert.Fail($"sessions of {executor} outlived its process");
            await Task.Delay(50);
        }

        // An open attempt lives on its running task (migration 0004); its row is written when it ends.
        await using var cmd = DataSource.CreateCommand($"SELECT id FROM \"{Schema}\".tasks WHERE executor_id = $1 AND status = 'running' AND attempt_open");
        cmd.Parameters.Add(new NpgsqlParameter { Value = executor });
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<Guid>();
        while (await reader.ReadAsync()) list.Add(reader.GetGuid(0));
        return list;
    }

    public async Task ExecAsync(string sql)
    {
        await using var cmd = DataSource.CreateCommand(sql.Replace("{s}", "\"" + Schema + "\"", StringComparison.Ordinal));
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<string> StatusSummaryAsync()
    {
        try
        {
            await using var cmd = DataSource.CreateCommand($"SELECT string_agg(status || '=' || n, ', ') FROM (SELECT status, count(*) n FROM \"{Schema}\".tasks GROUP BY status) x");
            return (await cmd.ExecuteScalarAsync())?.ToString() ?? "no tasks";
        }
        catch (NpgsqlException ex)
        {
            return "unavailable: " + ex.Message;
        }
    }

    /// <summary>Polls (end-to-end only) until every task is terminal or the deadline passes; false on timeout.</summary>
    public async Task<bool> WaitForAllTerminalAsync(long expected, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await ScalarAsync("SELECT count(*) FROM {s}.tasks WHERE status IN ('completed', 'failed', 'cancelled', 'skipped')") >= expected) return true;
            }
            catch (NpgsqlException)
            {
                // The server may be restarting.
            }

            await Task.Delay(200);
        }

        return false;
    }

    /// <summary>Every task completed once: one completed attempt, one completion event, no attempt run twice.</summary>
    public async Task AssertExactlyOnceAsync(long expected)
    {
        var completed = await ScalarAsync("SELECT count(*) FROM {s}.tasks WHERE status = 'completed'");
        var duplicates = await ScalarAsync("SELECT count(*) FROM {s}.e2e_duplicates");
        var completedAttempts = await ScalarAsync("SELECT count(*) FROM {s}.attempts WHERE outcome = 'completed'");
        var tasksWithCompletedAttempt = await ScalarAsync("SELECT count(DISTINCT task_id) FROM {s}.attempts WHERE outcome = 'completed'");
        var completionEvents = await ScalarAsync("SELECT count(*) FROM {s}.event_log WHERE type = 'task.completed'");
        var distinctCompletionEvents = await ScalarAsync("SELECT count(DISTINCT task_id) FROM {s}.event_log WHERE type = 'task.completed'");
        var loggedTasks = await ScalarAsync("SELECT count(DISTINCT task_id) FROM {s}.e2e_log");
        var completedRuns = await ScalarAsync("SELECT count(*) FROM {s}.runs WHERE status = 'completed'");
        var runs = await ScalarAsync("SELECT count(*) FROM {s}.runs");

        Assert.Multiple(() =>
        {
            Assert.That(completed, Is.EqualTo(expected), "tasks completed");
            Assert.That(duplicates, Is.Zero, "an attempt ran twice");
            Assert.That(completedAttempts, Is.EqualTo(expected), "completed attempts");
            Assert.That(tasksWithCompletedAttempt, Is.EqualTo(expected), "tasks with a completed attempt");
            Assert.That(completionEvents, Is.EqualTo(expected), "completion events");
            Assert.That(distinctCompletionEvents, Is.EqualTo(expected), "tasks with a completion event");
            Assert.That(loggedTasks, Is.EqualTo(expected), "tasks whose handler ran");
            Assert.That(completedRuns, Is.EqualTo(runs), "runs completed");
        });
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ExecAsync("DROP SCHEMA IF EXISTS {s} CASCADE");
        }
        catch (NpgsqlException)
        {
            // Throwaway server: nothing to clean.
        }

        await DataSource.DisposeAsync();
        await _services.DisposeAsync();
    }
}
