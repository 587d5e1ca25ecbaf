using System.Buffers;
using System.Text;
using System.Text.Json;
using Orchestration.Domain;

namespace Orchestration.Sqlite;

// Events per batch (migration 0019): a transaction's events are stored as rows of event_batches, each a JSON array of
// [run id, task id, type, data] for a stretch of consecutive events of one org, and expanded when read.
internal static class SqliteEventBatches
{
    // Sequence bits of the position inside a row: event i of row s is (s << IndexBits) | i.
    public const int IndexBits = 12;

    public const int MaxBatch = 1 << IndexBits;

    // The encoding buffer and writer, reused: a write transaction runs on one thread from start to end, and allocating
    // them per row cost more than a kilobyte per task.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _json;

    private const string Insert = "INSERT INTO event_batches (org_id, created_at, live, events) VALUES (?1, ?2, ?3, ?4)";

    // The rows from the one holding the watermark on. Every row but that first one holds at least one event (rows the
    // purge leaves empty are deleted), so limit + 1 rows hold the limit's events.
    private const string RowsAfter = "SELECT seq, org_id, created_at, events FROM event_batches WHERE seq >= $row ORDER BY seq LIMIT $limit";

    private const string RowsAfterInOrg = "SELECT seq, org_id, created_at, events FROM event_batches WHERE seq >= $row AND org_id = $org ORDER BY seq LIMIT $limit";

    private const string OldEventsAfter = "SELECT " + EventRows.Columns + " FROM events WHERE seq > $after ORDER BY seq LIMIT $limit";

    private const string OldEventsAfterInOrg = "SELECT " + EventRows.Columns + " FROM events WHERE seq > $after AND org_id = $org ORDER BY seq LIMIT $limit";

    /// <summary>Writes <paramref name="events"/> (in the order they happened) as batch rows.</summary>
    public static void Write(SqliteCommands db, List<(RunRow Run, Guid? Task, string Type, string? Data)> events, DateTimeOffset now)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        var start = 0;
        while (start < events.Count)
        {
            var org = events[start].Run.OrgId;
            var end = start + 1;
            while (end < events.Count && end - start < MaxBatch && string.Equals(events[end].Run.OrgId, org, StringComparison.Ordinal)) end++;

            buffer.ResetWrittenCount();
            var json = _json ??= new Utf8JsonWriter(buffer);
            json.Reset(buffer);
            json.WriteStartArray();
            for (var i = start; i < end; i++)
            {
                var (run, task, type, data) = events[i];
                json.WriteStartArray();
                json.WriteStringValue(run.Id);
                if (task is { } t) json.WriteStringValue(t);
                else json.WriteNullValue();
                json.WriteStringValue(type);
                if (data is null) json.WriteNullValue();
                else json.WriteStringValue(data);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.Flush();

            db.Statement(Insert).Bind(1, org).Bind(2, now).Bind(3, end - start).BindUtf8(4, buffer.WrittenSpan).Exec();
            start = end;
        }
    }

    /// <summary>
    /// Events after <paramref name="afterSequence"/>, in order: the rows written before migration 0019 (all numbered
    /// below every batch row), then the batch rows expanded.
    /// </summary>
    public static List<EngineEvent> Read(SqliteCommands db, long afterSequence, int limit, string? orgId)
    {
        limit = Math.Max(0, limit);
        var result = orgId is null
            ? db.Query(OldEventsAfter, EventRows.Read, afterSequence, limit)
            : db.Query(OldEventsAfterInOrg, EventRows.Read, afterSequence, orgId, limit);
        if (result.Count >= limit) return result;

        var row = Math.Max(0, afterSequence >> IndexBits);
        var rows = orgId is null
            ? db.Query(RowsAfter, r => (Seq: r.GetInt64(0), Org: r.GetString(1), At: r.GetInt64(2), Events: r.GetString(3)), row, limit + 1)
            : db.Query(RowsAfterInOrg, r => (Seq: r.GetInt64(0), Org: r.GetString(1), At: r.GetInt64(2), Events: r.GetString(3)), row, orgId, limit + 1);
        foreach (var (seq, org, at, events) in rows)
        {
            using var doc = JsonDocument.Parse(events);
            var i = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                var sequence = (seq << IndexBits) | (long)i++;
                if (e.ValueKind == JsonValueKind.Null || sequence <= afterSequence) continue;
                result.Add(new EngineEvent
                {
                    Sequence = sequence,
                    OrgId = org,
                    RunId = e[0].GetGuid(),
                    TaskId = e[1].ValueKind == JsonValueKind.Null ? null : e[1].GetGuid(),
                    Type = e[2].GetString()!,
                    DataJson = e[3].GetString(),
                    CreatedAt = SqliteValues.Time(at),
                });
                if (result.Count == limit) return result;
            }
        }

        return result;
    }

    /// <summary>
    /// Blanks the events of <paramref name="runIds"/> in the rows written up to <paramref name="upToTicks"/> (every
    /// event of a finished run is written at or before its completion), so the others keep their sequences, and deletes
    /// the rows left without events.
    /// </summary>
    public static void Purge(SqliteCommands db, IReadOnlyCollection<string> runIds, long upToTicks)
    {
        if (runIds.Count == 0) return;
        var ids = runIds.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var rows = db.Query("SELECT seq, events FROM event_batches WHERE created_at <= $at", r => (Seq: r.GetInt64(0), Events: r.GetString(1)), upToTicks);
        foreach (var (seq, events) in rows)
        {
            if (!ids.Any(id => events.Contains(id, StringComparison.OrdinalIgnoreCase))) continue;
            var buffer = new ArrayBufferWriter<byte>(events.Length);
            var live = 0;
            using (var doc = JsonDocument.Parse(events))
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartArray();
                foreach (var e in doc.RootElement.EnumerateArray())
                {
                    if (e.ValueKind == JsonValueKind.Null || ids.Contains(e[0].GetString()!)) json.WriteNullValue();
                    else
                    {
                        e.WriteTo(json);
                        live++;
                    }
                }

                json.WriteEndArray();
            }

            if (live == 0) db.Exec("DELETE FROM event_batches WHERE seq = $seq", seq);
            else db.Exec("UPDATE event_batches SET live = $live, events = $events WHERE seq = $seq", live, Encoding.UTF8.GetString(buffer.WrittenSpan), seq);
        }
    }
}
