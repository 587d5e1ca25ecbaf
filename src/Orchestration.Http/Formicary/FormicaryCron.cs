using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Errors;
using Orchestration.Storage;

namespace Orchestration.Http.Formicary;

/// <summary>
/// A definition's <c>cron_trigger</c> as an engine schedule: family <see cref="FormicaryJson.Family"/>, named after the
/// job type, in UTC unless the trigger starts with a zone (<c>CRON_TZ=Europe/Berlin</c>). The schedule carries no run: <see cref="FormicaryScheduledRunFactory"/> builds each one from the
/// job type's latest definition when it fires, so a new version applies from the next fire time.
/// </summary>
internal static class FormicaryCron
{
    /// <summary>
    /// Makes the job type's schedule match its new definition: upserted (paused while the job type is disabled) when the
    /// definition has a trigger, deleted when it has none. Called before the definition is saved, so an expression the
    /// engine refuses is a 400 naming <c>cron_trigger</c> and nothing is stored.
    /// </summary>
    public static async Task SyncAsync(IScheduleClient schedules, string orgId, FormicaryDefinition definition, bool disabled, CancellationToken cancellationToken)
    {
        var cron = definition.Document["cron_trigger"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(cron))
        {
            await schedules.DeleteScheduleAsync(orgId, FormicaryJson.Family, definition.JobType, cancellationToken);
            return;
        }

        var (zone, expression) = SplitZone(cron.Trim());
        try
        {
            await schedules.UpsertScheduleAsync(new ScheduleSpec
            {
                OrgId = orgId,
                Family = FormicaryJson.Family,
                Name = definition.JobType,
                Cron = expression,
                TimeZone = zone,
                Paused = disabled,
            }, cancellationToken);
        }
        catch (OrchestrationValidationException e)
        {
            throw ApiException.Validation("cron_trigger", e.Field switch
            {
                "cron" => e.Message,
                "time_zone" => $"time zone '{zone}' is not a known IANA time zone",
                _ => $"cannot be scheduled: {e.Message}",
            });
        }
    }

    /// <summary>
    /// The zone prefix of a trigger, as Go's cron libraries write it (<c>CRON_TZ=Europe/Berlin 0 9 * * *</c>, or
    /// <c>TZ=</c>): Formicary's own cron reader has no zone field, so the prefix is the form its users already know.
    /// Without one the expression is read in UTC.
    /// </summary>
    internal static (string Zone, string Expression) SplitZone(string trigger)
    {
        foreach (var prefix in (ReadOnlySpan<string>)["CRON_TZ=", "TZ="])
        {
            if (!trigger.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rest = trigger[prefix.Length..];
            var space = rest.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0) throw ApiException.Validation("cron_trigger", $"{prefix}<zone> must be followed by a space and the cron expression");
            return (rest[..space], rest[(space + 1)..].Trim());
        }

        return ("UTC", trigger);
    }
}

/// <summary>
/// Builds the run of a fired <c>cron_trigger</c>: the latest version of the job type, with no params (templates take the
/// task's <c>variables</c> and the job's <c>job_variables</c>), as a request submitted at the fire time would be.
/// </summary>
internal sealed class FormicaryScheduledRunFactory(IDefinitionStore store, IEnumerable<HandlerRegistration> handlers, IOptions<OrchestrationHttpOptions> options)
    : IScheduledRunFactory
{
    public string Family => FormicaryJson.Family;

    public async ValueTask<RunSpec> CreateRunAsync(Schedule schedule, DateTimeOffset fireAt, CancellationToken cancellationToken)
    {
        // Deleting or disabling a job type deletes or pauses its schedule; these only answer a fire racing with that change.
        var stored = await store.GetDefinitionByNameAsync(schedule.OrgId, schedule.Name, null, cancellationToken)
                     ?? throw new InvalidOperationException($"job type '{schedule.Name}' has no definition any more");
        if (stored.Disabled) throw new InvalidOperationException($"job type '{schedule.Name}' is disabled");
        var definition = FormicaryDefinition.FromStored(stored.DocumentJson, options.Value.Limits);
        var types = handlers.Select(h => h.Type).ToHashSet(StringComparer.Ordinal);
        return new FormicaryTranslation(types).ToRunSpec(schedule.OrgId, new FormicarySubmission(stored, definition, new JsonObject(), 0, null), fireAt);
    }
}
