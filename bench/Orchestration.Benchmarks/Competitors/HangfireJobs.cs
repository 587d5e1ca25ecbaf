namespace Orchestration.Benchmarks.Competitors;

/// <summary>The job methods Hangfire invokes; public because Hangfire resolves them by name.</summary>
public static class HangfireJobs
{
    public static void Noop() => CompetitorProbe.Done();

    public static void Probe()
    {
        CompetitorProbe.Latency.Hit();
        CompetitorProbe.Done();
    }
}
