namespace Orchestration.Benchmarks.Reporting;

/// <summary>One measured number. Every figure the harness prints comes from a measurement in the same run.</summary>
/// <param name="Scenario">throughput, dag, latency, hangfire, quartz, limit, scale, memory.</param>
/// <param name="System">orchestration, hangfire, quartz, raw-npgsql, raw-sqlite.</param>
/// <param name="Store">inmemory, sqlite, postgres.</param>
/// <param name="Metric">What was measured, e.g. "drain" or "p50".</param>
/// <param name="Value">The measured value.</param>
/// <param name="Unit">tasks/s, runs/s, ms, µs, MB, commits/task, ...</param>
/// <param name="Count">How many items the measurement covered (tasks, samples, rows).</param>
/// <param name="Note">How it was measured when that is not obvious.</param>
public sealed record Figure(string Scenario, string System, string Store, string Metric, double Value, string Unit, long Count, string? Note = null);

/// <summary>A scenario or store pair that could not be measured, and why. Printed instead of a number.</summary>
public sealed record Gap(string Scenario, string System, string Store, string Reason);

/// <summary>One comparison printed as a ratio: how many times better ours is (throughput ours/theirs; latency theirs/ours).</summary>
public sealed record Ratio(string Pair, string Metric, double Ours, double Theirs, string Unit, double Factor);

/// <summary>A target from the issue checked against the figures of this run.</summary>
/// <param name="Name">The target as stated.</param>
/// <param name="Measured">The figure(s) it was checked against, formatted.</param>
/// <param name="Met">True or false when measured in this run; null when a figure it needs is missing.</param>
public sealed record TargetCheck(string Name, string Measured, bool? Met);
