using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orchestration.Hosting;

// Settings come from the command line: --ConnectionStrings:Orchestration=... --Schema=... --ExecutorId=... --LeaseMs=...
// Every attempt of a "record" task inserts (task id, attempt) into e2e_log, whose primary key makes a second run of
// the same attempt visible (it is recorded in e2e_duplicates), then sleeps for the input's delay.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var executorId = builder.Configuration["ExecutorId"] ?? "testhost-" + Environment.ProcessId;
// The application name lets a test see when every session of a killed host is gone.
var connectionString = new NpgsqlConnectionStringBuilder(
    builder.Configuration.GetConnectionString("Orchestration") ?? throw new InvalidOperationException("ConnectionStrings:Orchestration is required"))
{
    ApplicationName = executorId,
}.ConnectionString;
var schema = builder.Configuration["Schema"] ?? "orchestration";
var lease = TimeSpan.FromMilliseconds(int.Parse(builder.Configuration["LeaseMs"] ?? "2000", System.Globalization.CultureInfo.InvariantCulture));
var quoted = "\"" + schema + "\"";
var log = NpgsqlDataSource.Create(connectionString);

builder.Services.AddOrchestration(o =>
    {
        o.UsePostgres(connectionString, p => p.Schema = schema);
        o.Worker.ExecutorId = executorId;
        o.Worker.LeaseDuration = lease;
        o.Worker.HeartbeatInterval = lease / 4;
        o.Worker.PollInterval = TimeSpan.FromMilliseconds(500);
        o.Worker.MaxConcurrency = 32;
        o.Worker.ShutdownTimeout = TimeSpan.FromSeconds(2);
        o.Maintenance.Interval = TimeSpan.FromMilliseconds(250);
    })
    .AddTaskHandler("record", async (context, cancellationToken) =>
    {
        await using (var cmd = log.CreateCommand($"INSERT INTO {quoted}.e2e_log (task_id, attempt, executor_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = context.Task.Id });
            cmd.Parameters.Add(new NpgsqlParameter { Value = context.Task.Attempt });
            cmd.Parameters.Add(new NpgsqlParameter { Value = context.Task.ExecutorId ?? "" });
            if (await cmd.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                await using var dup = log.CreateCommand($"INSERT INTO {quoted}.e2e_duplicates (task_id, attempt, executor_id) VALUES ($1, $2, $3)");
                dup.Parameters.Add(new NpgsqlParameter { Value = context.Task.Id });
                dup.Parameters.Add(new NpgsqlParameter { Value = context.Task.Attempt });
                dup.Parameters.Add(new NpgsqlParameter { Value = context.Task.ExecutorId ?? "" });
                await dup.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        var delayMs = context.Task.InputJson is { } input ? System.Text.Json.JsonDocument.Parse(input).RootElement.GetProperty("delayMs").GetInt32() : 0;
        if (delayMs > 0) await Task.Delay(delayMs, cancellationToken);
        return null;
    });

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("testhost: ready");
await host.WaitForShutdownAsync();
await log.DisposeAsync();
