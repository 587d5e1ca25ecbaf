using System.Diagnostics.Metrics;
using Orchestration.Storage;

namespace Orchestration.Diagnostics;

/// <summary>
/// The engine's instruments on the <c>Orchestration</c> meter. Static because a process has one meter of that name and
/// exporters (the HTTP package's Prometheus endpoint, OpenTelemetry) subscribe by name; only the name is public, so
/// hosts can subscribe and only the engine records.
/// </summary>
public static class OrchestrationMetrics
{
    /// <summary>The meter's name, for <c>MeterListener</c> or OpenTelemetry's <c>AddMeter</c>.</summary>
    public const string MeterName = "Orchestration";

    internal static readonly Meter Meter = new(MeterName);

    internal static readonly Counter<long> JobsClaimed = Meter.CreateCounter<long>("orchestration.jobs.claimed", description: "Binary jobs claimed by executors");
    internal static readonly Counter<long> JobsCompleted = Meter.CreateCounter<long>("orchestration.jobs.completed", description: "Binary jobs completed");
    internal static readonly Counter<long> JobsFailed = Meter.CreateCounter<long>("orchestration.jobs.failed", description: "Binary jobs failed");
    internal static readonly Counter<long> TasksSubmitted = Meter.CreateCounter<long>("orchestration.tasks.submitted", description: "Tasks created with their runs");
    internal static readonly Counter<long> TasksClaimed = Meter.CreateCounter<long>("orchestration.tasks.claimed", description: "Tasks claimed over the executor protocol");
    internal static readonly Counter<long> TasksCompleted = Meter.CreateCounter<long>("orchestration.tasks.completed", description: "Tasks completed over the executor protocol");
    internal static readonly Counter<long> TasksFailed = Meter.CreateCounter<long>("orchestration.tasks.failed", description: "Task failures reported over the executor protocol");
    internal static readonly Counter<long> LeaseExpirations = Meter.CreateCounter<long>("orchestration.lease.expirations", description: "Leases reaped after their executor stopped heartbeating");
    internal static readonly Counter<long> RetentionRunsDeleted = Meter.CreateCounter<long>("orchestration.retention.runs.deleted", description: "Finished runs deleted by retention, by rule and state");
    internal static readonly Counter<long> RetentionDeliveriesDeleted = Meter.CreateCounter<long>("orchestration.retention.webhook_deliveries.deleted", description: "Webhook deliveries deleted by retention");
    internal static readonly Counter<long> RunsCreated = Meter.CreateCounter<long>("orchestration.runs.created", description: "Runs created, by API family");
    internal static readonly Histogram<double> HandlerDuration = Meter.CreateHistogram<double>("orchestration.handler.duration", unit: "s", description: "In-process handler run time per attempt, by task type and outcome");
    internal static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("orchestration.job.duration", unit: "s", description: "Binary job run time, claim to completion or failure");

    /// <summary>Records one handler attempt; the tags are built only while something listens.</summary>
    internal static void RecordHandler(string type, string outcome, TimeSpan elapsed)
    {
        if (!HandlerDuration.Enabled) return;
        HandlerDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("orchestration.task.type", type), new KeyValuePair<string, object?>("orchestration.outcome", outcome));
    }

    /// <summary>Counts the runs a create call wrote (not the duplicates it returned), by family.</summary>
    internal static void CountCreated(IReadOnlyList<CreateRunResult> results)
    {
        if (!RunsCreated.Enabled) return;
        foreach (var r in results)
            if (r.Created) RunsCreated.Add(1, new KeyValuePair<string, object?>("orchestration.family", r.Run.Family));
    }
}
