using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Sqlite;

// Cron schedules and their fire records; a fire writes its records, its runs and the next fire time in one transaction.
public sealed partial class SqliteStore : IScheduleStore
{
    private const string ScheduleColumns =
        "id, org_id, family, name, cron, time_zone, misfire, catch_up_limit, paused, run_spec, next_fire_at, last_fired_at, created_at, updated_at";

    private const string UpsertScheduleSql =
        "INSERT INTO schedules (" + ScheduleColumns + ") VALUES ($id, $org, $family, $name, $cron, $tz, $misfire, $cap, $paused, $spec, $next, NULL, $now, $now2) " +
        "ON CONFLICT (org_id, family, name) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone, misfire = excluded.misfire, " +
        "catch_up_limit = excluded.catch_up_limit, paused = excluded.paused, run_spec = excluded.run_spec, next_fire_at = excluded.next_fire_at, " +
        "updated_at = excluded.updated_at";

    private const string ScheduleByNameSql = "SELECT " + ScheduleColumns + " FROM schedules WHERE org_id = $org AND family = $family AND name = $name";
    private const string ScheduleByIdSql = "SELECT " + ScheduleColumns + " FROM schedules WHERE id = $id";
    private const string SchedulesOfOrgSql = "SELECT " + ScheduleColumns + " FROM schedules WHERE org_id = $org AND ($family IS NULL OR family = $family) ORDER BY family, name";
    private const string DueSchedulesSql =
        "SELECT " + ScheduleColumns + " FROM schedules WHERE paused = 0 AND next_fire_at IS NOT NULL AND next_fire_at <= $now ORDER BY next_fire_at, id LIMIT $max";
    private const string NextScheduleFireSql = "SELECT min(next_fire_at) FROM schedules WHERE paused = 0 AND next_fire_at IS NOT NULL";
    private const string SetPausedSql = "UPDATE schedules SET paused = $paused, updated_at = $now WHERE org_id = $org AND family = $family AND name = $name";
    private const string DeleteFiresSql = "DELETE FROM schedule_fires WHERE schedule_id = $id";
    private const string DeleteScheduleSql = "DELETE FROM schedules WHERE id = $id";
    private const string InsertFireSql = "INSERT INTO schedule_fires (schedule_id, fire_at, run_id, created_at) VALUES ($id, $at, $run, $now) ON CONFLICT DO NOTHING";
    private const string AdvanceScheduleSql =
        "UPDATE schedules SET next_fire_at = $next, last_fired_at = coalesce($last, last_fired_at), updated_at = $now WHERE id = $id";

    /// <inheritdoc />
    public Task<Schedule> UpsertScheduleAsync(UpsertScheduleParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var p = parameters;
            tx.Db.Exec(UpsertScheduleSql, p.Id, p.OrgId, p.Family, p.Name, p.Cron, p.TimeZone, MisfireToDb(p.Misfire), p.CatchUpLimit, p.Paused,
                p.RunSpecJson, p.NextFireAt, p.Now, p.Now);
            return tx.Db.QuerySingle(ScheduleByNameSql, ReadSchedule, p.OrgId, p.Family, p.Name)!;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<Schedule?> GetScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken) =>
        ReadAsync(db => db.QuerySingle(ScheduleByNameSql, ReadSchedule, orgId, family, name), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Schedule>> ListSchedulesAsync(string orgId, string? family, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Schedule>>(db => db.Query(SchedulesOfOrgSql, ReadSchedule, orgId, family), cancellationToken);

    /// <inheritdoc />
    public Task<bool> DeleteScheduleAsync(string orgId, string family, string name, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var schedule = tx.Db.QuerySingle(ScheduleByNameSql, ReadSchedule, orgId, family, name);
            if (schedule is null) return false;
            tx.Db.Exec(DeleteFiresSql, schedule.Id);
            tx.Db.Exec(DeleteScheduleSql, schedule.Id);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<Schedule?> SetSchedulePausedAsync(string orgId, string family, string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(tx => tx.Db.Exec(SetPausedSql, paused, now, orgId, family, name) == 0
            ? null
            : tx.Db.QuerySingle(ScheduleByNameSql, ReadSchedule, orgId, family, name), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Schedule>> GetDueSchedulesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Schedule>>(db => db.Query(DueSchedulesSql, ReadSchedule, now, max), cancellationToken);

    /// <inheritdoc />
    public Task<DateTimeOffset?> NextScheduleFireAtAsync(CancellationToken cancellationToken) =>
        ReadAsync(db => db.Scalar(NextScheduleFireSql) is long ticks ? SqliteValues.Time(ticks) : (DateTimeOffset?)null, cancellationToken);

    /// <inheritdoc />
    public Task<FireScheduleResult> FireScheduleAsync(FireScheduleParams parameters, CancellationToken cancellationToken) =>
        WriteAsync(tx =>
        {
            var schedule = tx.Db.QuerySingle(ScheduleByIdSql, ReadSchedule, parameters.ScheduleId);
            if (schedule is null || schedule.Paused || schedule.NextFireAt != parameters.ExpectedNextFireAt) return new FireScheduleResult(false, []);

            var fired = new List<(DateTimeOffset, Guid)>();
            var toCreate = new List<CreateRunParams>();
            foreach (var fire in parameters.Fires)
            {
                if (tx.Db.Exec(InsertFireSql, schedule.Id, fire.FireAt, fire.Run.RunId, parameters.Now) == 0) continue;
                toCreate.Add(fire.Run);
                fired.Add((fire.FireAt, fire.Run.RunId));
            }

            if (toCreate.Count > 0) CreateRunsIn(tx, toCreate);
            DateTimeOffset? last = fired.Count > 0 ? fired.Max(f => f.Item1) : null;
            tx.Db.Exec(AdvanceScheduleSql, parameters.NextFireAt, last, parameters.Now, schedule.Id);
            return new FireScheduleResult(true, fired);
        }, cancellationToken);

    private static string MisfireToDb(MisfirePolicy policy) => policy switch
    {
        MisfirePolicy.Skip => "skip",
        MisfirePolicy.CatchUp => "catch_up",
        _ => "run_once",
    };

    private static MisfirePolicy MisfireFromDb(string value) => value switch
    {
        "skip" => MisfirePolicy.Skip,
        "catch_up" => MisfirePolicy.CatchUp,
        _ => MisfirePolicy.RunOnce,
    };

    private static Schedule ReadSchedule(Row r) => new()
    {
        Id = SqliteValues.Id(r, 0),
        OrgId = r.GetString(1),
        Family = r.GetString(2),
        Name = r.GetString(3),
        Cron = r.GetString(4),
        TimeZone = r.GetString(5),
        Misfire = MisfireFromDb(r.GetString(6)),
        CatchUpLimit = r.GetInt32(7),
        Paused = r.GetInt64(8) != 0,
        RunSpecJson = SqliteValues.StringOrNull(r, 9),
        NextFireAt = SqliteValues.TimeOrNull(r, 10),
        LastFiredAt = SqliteValues.TimeOrNull(r, 11),
        CreatedAt = SqliteValues.Time(r.GetInt64(12)),
        UpdatedAt = SqliteValues.Time(r.GetInt64(13)),
    };
}
