using System.Text.Json;
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

    public static DateTimeOffset? TimeOrNull(Row r, int i) => r.IsDBNull(i) ? null : Time(r.GetInt64(i));

    public static string? StringOrNull(Row r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static Guid Id(Row r, int i) => r.GetGuid(i);

    public static Guid? IdOrNull(Row r, int i) => r.IsDBNull(i) ? null : Id(r, i);

    public static int? IntOrNull(Row r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);

    public static string? ListToJson(IReadOnlyList<string> values) => values.Count == 0 ? null : JsonSerializer.Serialize(values);

    public static string ListToJsonAlways(IReadOnlyList<string> values) => JsonSerializer.Serialize(values);

    public static IReadOnlyList<string> JsonToList(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<string[]>(json) ?? [];

    // The status columns are read for every row of every claim and completion: matched on the UTF-8 bytes, no string.
    public static TaskRunStatus TaskStatus(ReadOnlySpan<byte> value) => value switch
    {
        _ when value.SequenceEqual("queued"u8) => TaskRunStatus.Queued,
        _ when value.SequenceEqual("running"u8) => TaskRunStatus.Running,
        _ when value.SequenceEqual("completed"u8) => TaskRunStatus.Completed,
        _ when value.SequenceEqual("pending"u8) => TaskRunStatus.Pending,
        _ => TaskStatus(System.Text.Encoding.UTF8.GetString(value)),
    };

    public static RunStatus RunStatusOf(ReadOnlySpan<byte> value) => value switch
    {
        _ when value.SequenceEqual("pending"u8) => RunStatus.Pending,
        _ when value.SequenceEqual("running"u8) => RunStatus.Running,
        _ when value.SequenceEqual("completed"u8) => RunStatus.Completed,
        _ => RunStatusOf(System.Text.Encoding.UTF8.GetString(value)),
    };

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
