using BenchmarkDotNet.Running;

namespace Orchestration.Benchmarks.Micro;

/// <summary>Entry for the BenchmarkDotNet suite; arguments go to BenchmarkDotNet (e.g. <c>--filter *Claim*</c>).</summary>
internal static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
