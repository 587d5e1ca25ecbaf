using System.Collections.Concurrent;

namespace Orchestration.Benchmarks.Reporting;

/// <summary>Everything one harness run measured, in the order it was measured.</summary>
public sealed class BenchReport
{
    private readonly ConcurrentQueue<Figure> _figures = new();
    private readonly ConcurrentQueue<Gap> _gaps = new();

    public IReadOnlyList<Figure> Figures => _figures.ToArray();
    public IReadOnlyList<Gap> Gaps => _gaps.ToArray();
    public IReadOnlyList<Ratio> Ratios { get; internal set; } = [];
    public IReadOnlyList<TargetCheck> Targets { get; internal set; } = [];
    public MachineInfo? Machine { get; internal set; }
    public DateTimeOffset StartedAt { get; internal set; }
    public TimeSpan Duration { get; internal set; }
    public string? LoadAverageAtStart { get; internal set; }
    public string? LoadAverageAtEnd { get; internal set; }

    public void Add(Figure figure) => _figures.Enqueue(figure);

    public void AddGap(Gap gap) => _gaps.Enqueue(gap);

    /// <summary>The value of the first figure that matches, or null.</summary>
    public double? Find(string scenario, string system, string store, string metric) =>
        _figures.FirstOrDefault(f => f.Scenario == scenario && f.System == system && f.Store == store && f.Metric == metric)?.Value;
}
