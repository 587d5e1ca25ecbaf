using System.Diagnostics.Metrics;
using Orchestration.Diagnostics;

namespace Orchestration.Http.Platform.Metrics;

/// <summary>
/// The job queue API's own instrument. It joins the engine's on a meter of the same name, so exporters that subscribe
/// by <see cref="OrchestrationMetrics.MeterName"/> see it beside them while the engine's instruments stay the engine's.
/// </summary>
internal static class JobQueueMetrics
{
    private static readonly Meter Meter = new(OrchestrationMetrics.MeterName);

    public static readonly Counter<long> JobsSubmitted = Meter.CreateCounter<long>("orchestration.jobs.submitted", description: "Binary jobs submitted");
}
