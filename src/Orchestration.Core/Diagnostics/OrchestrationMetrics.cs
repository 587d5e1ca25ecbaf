using System.Diagnostics.Metrics;

namespace Orchestration.Diagnostics;

/// <summary>
/// The engine's instruments on the <c>Orchestration</c> meter. Static because a process has one meter of that name and
/// exporters (the HTTP package's Prometheus endpoint, OpenTelemetry) subscribe by name.
/// </summary>
internal static class OrchestrationMetrics
{
    public const string MeterName = "Orchestration";

    public static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> JobsSubmitted = Meter.CreateCounter<long>("orchestration.jobs.submitted", description: "Binary jobs submitted");
    public static readonly Counter<long> JobsClaimed = Meter.CreateCounter<long>("orchestration.jobs.claimed", description: "Binary jobs claimed by executors");
    public static readonly Counter<long> JobsCompleted = Meter.CreateCounter<long>("orchestration.jobs.completed", description: "Binary jobs completed");
    public static readonly Counter<long> JobsFailed = Meter.CreateCounter<long>("orchestration.jobs.failed", description: "Binary jobs failed");
    public static readonly Counter<long> TasksSubmitted = Meter.CreateCounter<long>("orchestration.tasks.submitted", description: "Tasks created with their runs");
    public static readonly Counter<long> TasksClaimed = Meter.CreateCounter<long>("orchestration.tasks.claimed", description: "Tasks claimed over the executor protocol");
    public static readonly Counter<long> TasksCompleted = Meter.CreateCounter<long>("orchestration.tasks.completed", description: "Tasks completed over the executor protocol");
    public static readonly Counter<long> TasksFailed = Meter.CreateCounter<long>("orchestration.tasks.failed", description: "Task failures reported over the executor protocol");
    public static readonly Counter<long> LeaseExpirations = Meter.CreateCounter<long>("orchestration.lease.expirations", description: "Leases reaped after their executor stopped heartbeating");
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("orchestration.job.duration", unit: "s", description: "Binary job run time, claim to completion or failure");
}
