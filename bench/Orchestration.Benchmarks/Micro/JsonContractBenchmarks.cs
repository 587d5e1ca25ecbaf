using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Orchestration.Engine;

namespace Orchestration.Benchmarks.Micro;

/// <summary>JSON on the per-task path: a handler's typed input and output, and the engine's error body.</summary>
[MemoryDiagnoser]
public class JsonContractBenchmarks
{
    public sealed record ResizeInput(string Url, int Width, int Height, IReadOnlyList<string> Tags);

    private readonly ResizeInput _input = new("https://example.invalid/a.png", 640, 480, ["thumb", "web"]);
    private string _json = "";

    [GlobalSetup]
    public void Setup() => _json = JsonSerializer.Serialize(_input, JsonDefaults.Options);

    [Benchmark(Description = "serialize handler input")]
    public string SerializeInput() => JsonSerializer.Serialize(_input, JsonDefaults.Options);

    [Benchmark(Description = "deserialize handler input")]
    public ResizeInput? DeserializeInput() => JsonSerializer.Deserialize<ResizeInput>(_json, JsonDefaults.Options);

    [Benchmark(Description = "error body round trip")]
    public string? ErrorBody() => JsonDefaults.ErrorMessage(JsonDefaults.ErrorJson("handler failed: boom"));
}
