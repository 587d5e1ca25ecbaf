using Orchestration.Engine;

namespace Orchestration.Benchmarks.Engine;

/// <summary>The run shapes the scenarios enqueue. Built before the clock starts: they are the caller's data, not our cost.</summary>
internal static class Workloads
{
    public const string NoopType = "noop";
    public const string HoldType = "hold";
    public const int EnqueueChunk = 10_000;

    public static RunSpec[] SingleTask(int count, string type = NoopType)
    {
        var specs = new RunSpec[count];
        // A run input (the same for every run) for measuring the run search index's cost; none by default.
        var input = Environment.GetEnvironmentVariable("ORCHESTRATION_BENCH_RUN_INPUT") is { Length: > 0 } json ? json : null;
        for (var i = 0; i < count; i++) specs[i] = new RunSpec { InputJson = input, Tasks = [new TaskSpec { Type = type }] };
        return specs;
    }

    /// <summary>One root, <paramref name="width"/> − 2 parallel tasks after it, one join after all of them.</summary>
    public static RunSpec[] FanOutFanIn(int runs, int width)
    {
        var middle = Math.Max(1, width - 2);
        var specs = new RunSpec[runs];
        for (var r = 0; r < runs; r++)
        {
            var tasks = new List<TaskSpec>(middle + 2) { new() { Type = NoopType, Name = "root" } };
            var names = new string[middle];
            for (var i = 0; i < middle; i++)
            {
                names[i] = "step" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                tasks.Add(new TaskSpec { Type = NoopType, Name = names[i], DependsOn = ["root"] });
            }

            tasks.Add(new TaskSpec { Type = NoopType, Name = "join", DependsOn = names });
            specs[r] = new RunSpec { Tasks = tasks };
        }

        return specs;
    }

    /// <summary>Bulk-enqueues in chunks through the public client; returns the elapsed time.</summary>
    public static async Task<TimeSpan> EnqueueAsync(IOrchestrationClient client, RunSpec[] specs, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var offset = 0; offset < specs.Length; offset += EnqueueChunk)
        {
            var chunk = new ArraySegment<RunSpec>(specs, offset, Math.Min(EnqueueChunk, specs.Length - offset));
            await client.CreateRunsAsync(chunk, cancellationToken);
        }

        return clock.Elapsed;
    }

    public static int TaskCount(RunSpec[] specs) => specs.Sum(s => s.Tasks.Count);
}
