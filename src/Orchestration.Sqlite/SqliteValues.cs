using System.Text.Json;
using Microsoft.Data.Sqlite;
using Orchestration.Domain;

namespace Orchestration.Sqlite;

// Conversions between .NET values and the column encodings chosen in Migrations/0001_initial.sql.
internal static class SqliteValues
{
    public static object ToDb(object? value) => value switch
    {
        null => DBNull.Value,
        Guid g => g.ToString("D"),
        DateTimeOffset t => t.UtcTicks,
        TimeSpan s => s.Ticks,
        bool b => b ? 1L : 0L,
        _ => value,
    };

    public static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    public static DateTimeOffset? TimeOrNull(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : Time(r.GetInt64(i));

    public static string? StringOrNull(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static Guid Id(SqliteDataReader r, int i) => Guid.ParseExact(r.GetString(i), "D");

    public static Guid? IdOrNull(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : Id(r, i);

    public static int? IntOrNull(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);

    public static string? ListToJson(IReadOnlyList<string> values) => values.Count == 0 ? null : JsonSerializer.Serialize(values);

    public static string ListToJsonAlways(IReadOnlyList<string> values) => JsonSerializer.Serialize(values);

    public static IReadOnlyList<string> JsonToList(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<string[]>(json) ?? [];

    // The status columns are read for every row of every claim and completion; a switch avoids the general parser's allocations.
    public static TaskRunStatus TaskStatus(string value) => value switch
    {
        "pending" => TaskRunStatus.Pending,
        "queued" => TaskRunStatus.Queued,
        "running" => TaskRunStatus.Running,
        "completed" => TaskRunStatus.Completed,
        "failed" => TaskRunStatus.Failed,
        "cancelled" => TaskRunStatus.Cancelled,
        "retrying" => TaskRunStatus.Retrying,
        "skipped" => TaskRunStatus.Skipped,
        _ => StatusNames.ParseTaskStatus(value),
    };

    public static RunStatus RunStatusOf(string value) => value switch
    {
        "pending" => RunStatus.Pending,
        "running" => RunStatus.Running,
        "completed" => RunStatus.Completed,
        "failed" => RunStatus.Failed,
        "cancelled" => RunStatus.Cancelled,
        _ => StatusNames.ParseRunStatus(value),
    };
}
