using System.Data.Common;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Postgres;

// Cron schedules and their fire records. A fire locks the schedule row (the fence), inserts its fire records (unique:
// the once-per-time proof), creates the runs of the new ones and moves the next fire time, in one transaction.
public sealed partial class PostgresStore : IScheduleStore
{
    private const string ScheduleColumns =
        "id, org_id, family, name, cron, time_zone, misfire, catch_up_limit, paused, run_spec, next_fire_at, last_fired_at, created_at, updated_at";

    private const string UpsertScheduleSql = """
        INSERT INTO {s}.schedules AS x (id, org_id, family, name, cron, time_zone, misfire, catch_up_limit, paused, run_spec, next_fire_at, created_at, updated_at)
        VALUES (@id, @org, @family, @name, @cron, @tz, @misfire, @cap, @paused, @spec, @next, @stamp, @stamp)
        ON CONFLICT (org_id, family, name) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone, misfire = excluded.misfire,
            catch_up_limit = excluded.catch_up_limit, paused = excluded.paused, run_spec = excluded.run_spec,
            next_fire_at = excluded.next_fire_at, updated_at = excluded.updated_at
        RETURNING x.id, x.org_id, x.family, x.name, x.cron, x.time_zone, x.misfire, x.catch_up_limit, x.paused, x.run_spec, x.next_fire_at,
                  x.last_fired_at, x.created_at, x.updated_at
        """;

    private const string ScheduleByNameSql = "SELECT " + ScheduleColumns + " FROM {s}.schedules WHERE org_id = @org AND family = @family AND name = @name";
    private const string LockScheduleSql = "SELECT " + ScheduleColumns + " FROM {s}.schedules WHERE id = @id FOR UPDATE";
    private const string SchedulesOfOrgSql =
        "SELECT " + ScheduleColumns + " FROM {s}.schedules WHERE org_id = @org AND (@family::text IS NULL OR family = @family) ORDER BY family, name";
    private const string DueSchedulesSql =
        "SELECT " + ScheduleColumns + " FROM {s}.schedules WHERE NOT paused AND next_fire_at IS NOT NULL AND next_fire_at <= @stamp ORDER BY next_fire_at, id LIMIT @max";
    private const string NextScheduleFireSql = "SELECT min(next_fire_at) FROM {s}.schedules WHERE NOT paused AND next_fire_at IS NOT NULL";
    private const string SetPausedSql =
        "UPDATE {s}.schedules SET paused = @paused, updated_at = @stamp WHERE org_id = @org AND family = @family AND name = @name RETURNING " + ScheduleColumns;
    private const string DeleteScheduleSql = """
        WITH d AS (DELETE FROM {s}.schedules WHERE org_id = @org AND family = @family AND name = @name RETURNING id),
        f AS (DELETE FROM {s}.schedule_fires WHERE schedule_id IN (SELECT id FROM d))
        SELECT count(*)::int FROM d
        """;
    private const string InsertFiresSql = """
        INSERT INTO {s}.schedule_fires (schedule_id, fire_at, run_id, created_at)
        SELECT @id, f.at, f.run, @stamp FROM unnest(@ats::timestamptz[], @runs::uuid[]) AS f(at, run)
        ON CONFLICT DO NOTHING
        RETURNING fire_at, run_id
        """;
    private const string AdvanceScheduleSql =
        "UPDATE {s}.schedules SET next_fire_at = @next, last_fired_at = coalesce(@last, last_fired_at), updated_at = @stamp WHERE id = @id";

    /// <inheritdoc />
    public async Task<Schedule> UpsertScheduleAsync(UpsertScheduleParams parameters, CancellationToken cancellationToken)
    {
        var p = parameters;
        var rows = await InTransactionAsync((tx, ct) => tx.ReadAsync(S(UpsertScheduleSql), new
        {
            id = p.Id, org = p.OrgId, family = p.Family, name = p.Name, cron = p.Cron, tz = p.TimeZone, misfire = MisfireToDb(p.Misfire),
            cap = p.CatchUpLimit, paused = p.Paused, spec = p.RunSpecJson, next = p.NextFireAt, stamp = p.Now,
        }, ReadSchedule, ct), cancellationToken);
        return rows[0];
    }

    /// <inheritdoc />
    public async Task<Schedule?> GetScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken)
    {
        var rows = await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(ScheduleByNameSql), new { org = orgId, family, name }, ReadSchedule, ct), cancellationToken);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Schedule>> ListSchedulesAsync(string orgId, string? family, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(SchedulesOfOrgSql), new { org = orgId, family }, ReadSchedule, ct), cancellationToken);

    /// <inheritdoc />
    public async Task<bool> DeleteScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken) =>
        await InTransactionAsync((tx, ct) => tx.ScalarAsync<int>(S(DeleteScheduleSql), new { org = orgId, family, name }, ct), cancellationToken) > 0;

    /// <inheritdoc />
    public async Task<Schedule?> SetSchedulePausedAsync(string orgId, string family, string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = await InTransactionAsync((tx, ct) => tx.ReadAsync(S(SetPausedSql), new { paused, stamp = now, org = orgId, family, name }, ReadSchedule, ct), cancellationToken);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Schedule>> GetDueSchedulesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(DueSchedulesSql), new { stamp = now, max }, ReadSchedule, ct), cancellationToken);

    /// <inheritdoc />
    public async Task<DateTimeOffset?> NextScheduleFireAtAsync(CancellationToken cancellationToken) =>
        (await OnConnectionAsync((tx, ct) => tx.ReadAsync(S(NextScheduleFireSql), null, r => r.IsDBNull(0) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(0), ct), cancellationToken))[0];

    /// <inheritdoc />
    public Task<FireScheduleResult> FireScheduleAsync(FireScheduleParams parameters, CancellationToken cancellationToken) =>
        InTransactionAsync(async (tx, ct) =>
        {
            // The row lock orders concurrent fires of one schedule: the second sees the next fire time the first wrote.
            var locked = await tx.ReadAsync(S(LockScheduleSql), new { id = parameters.ScheduleId }, ReadSchedule, ct);
            if (locked.Count == 0 || locked[0].Paused || locked[0].NextFireAt != parameters.ExpectedNextFireAt) return new FireScheduleResult(false, []);

            var fired = new List<(DateTimeOffset FireAt, Guid RunId)>();
            if (parameters.Fires.Count > 0)
            {
                var inserted = await tx.ReadAsync(S(InsertFiresSql), new
                {
                    id = parameters.ScheduleId,
                    stamp = parameters.Now,
                    ats = parameters.Fires.Select(f => f.FireAt).ToArray(),
                    runs = parameters.Fires.Select(f => f.Run.RunId).ToArray(),
                }, r => (FireAt: r.GetFieldValue<DateTimeOffset>(0), RunId: r.GetGuid(1)), ct);
                var newRuns = inserted.Select(i => i.RunId).ToHashSet();
                var toCreate = parameters.Fires.Where(f => newRuns.Contains(f.Run.RunId)).Select(f => f.Run).ToList();
                if (toCreate.Count > 0) await CreateRunsCoreAsync(tx, toCreate, ct);
                fired.AddRange(parameters.Fires.Where(f => newRuns.Contains(f.Run.RunId)).Select(f => (f.FireAt, f.Run.RunId)));
            }

            DateTimeOffset? last = fired.Count > 0 ? fired.Max(f => f.FireAt) : null;
            await tx.ExecAsync(S(AdvanceScheduleSql), new { next = parameters.NextFireAt, last, stamp = parameters.Now, id = parameters.ScheduleId }, ct);
            return new FireScheduleResult(true, fired);
        }, cancellationToken);

    private static string MisfireToDb(MisfirePolicy policy) => policy switch
    {
        MisfirePolicy.Skip => "skip",
        MisfirePolicy.CatchUp => "catch_up",
        _ => "run_once",
    };

    private static Schedule ReadSchedule(DbDataReader r) => new()
    {
        Id = r.GetGuid(0),
        OrgId = r.GetString(1),
        Family = r.GetString(2),
        Name = r.GetString(3),
        Cron = r.GetString(4),
        TimeZone = r.GetString(5),
        Misfire = r.GetString(6) switch { "skip" => MisfirePolicy.Skip, "catch_up" => MisfirePolicy.CatchUp, _ => MisfirePolicy.RunOnce },
        CatchUpLimit = r.GetInt32(7),
        Paused = r.GetBoolean(8),
        RunSpecJson = r.IsDBNull(9) ? null : r.GetString(9),
        NextFireAt = r.IsDBNull(10) ? null : r.GetFieldValue<DateTimeOffset>(10),
        LastFiredAt = r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(12),
        UpdatedAt = r.GetFieldValue<DateTimeOffset>(13),
    };
}
