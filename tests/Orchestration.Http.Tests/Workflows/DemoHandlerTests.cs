using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Host;
using Orchestration.Hosting;

namespace Orchestration.Http.Tests.Workflows;

/// <summary>
/// The sample host's simulated handlers for FlowCtl's task types, called directly on a fake clock: each step of the
/// simulation waits for a timer the test sees created before it moves the clock, so nothing sleeps.
/// </summary>
public sealed class DemoHandlerTests
{
    private ServiceProvider _services = null!;
    private IOrchestrationClient _client = null!;
    private StepClock _time = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new StepClock();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddOrchestration(o =>
        {
            o.UseInMemory();
            o.Worker.Enabled = false;
        });
        _services = services.BuildServiceProvider();
        _client = _services.GetRequiredService<IOrchestrationClient>();
    }

    [TearDown]
    public async Task TearDown() => await _services.DisposeAsync();

    [Test]
    public async Task Etl_DurationInSteps_CompletesOnlyAfterTheWholeDurationWithProgressAndSimulatedResult()
    {
        var (context, runId) = await ContextAsync("etl", """{"source_url":"s3://bucket/data.csv","target_url":"postgres://db/staging","duration_ms":400,"steps":4}""");
        var handler = new EtlHandler(_time, NullLogger<EtlHandler>.Instance);

        var running = handler.HandleAsync(Read<EtlPayload>(context), context, CancellationToken.None);
        for (var step = 0; step < 4; step++)
        {
            Assert.That(running.IsCompleted, Is.False, $"finished after {step} of 4 steps");
            await _time.NextTimerAsync();
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        var result = await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(result.GetProperty("simulated").GetBoolean(), Is.True);
        Assert.That(result.GetProperty("source_url").GetString(), Is.EqualTo("s3://bucket/data.csv"));
        Assert.That(result.GetProperty("target_url").GetString(), Is.EqualTo("postgres://db/staging"));
        Assert.That(result.GetProperty("duration_ms").GetInt64(), Is.EqualTo(400));
        var progress = await _client.Queries.GetLatestRunDataAsync(context.OrgId, runId, "progress.etl", CancellationToken.None);
        Assert.That(progress!.ValueJson, Is.EqualTo("100"));
    }

    [Test]
    public async Task Generic_SeedExamplePayload_ResultSaysSimulatedAndNamesTheCommand()
    {
        var (context, _) = await ContextAsync("generic", """{"command":"validate_schema","duration_ms":0}""");
        var handler = new GenericHandler(_time, NullLogger<GenericHandler>.Instance);

        var result = await handler.HandleAsync(Read<GenericPayload>(context), context, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(result.GetProperty("simulated").GetBoolean(), Is.True);
        Assert.That(result.GetProperty("command").GetString(), Is.EqualTo("validate_schema"));
    }

    [Test]
    public async Task Ci_FailTrue_ThrowsRetryableFailureAfterTheSimulatedWork()
    {
        var (context, _) = await ContextAsync("ci", """{"command":"npm test","fail":true,"duration_ms":0}""");
        var handler = new CiHandler(_time, NullLogger<CiHandler>.Instance);

        var failure = Assert.ThrowsAsync<TaskFailedException>(() => handler.HandleAsync(Read<CiPayload>(context), context, CancellationToken.None));

        Assert.That(failure!.Retryable, Is.True, "fail: true is for retry demos");
        Assert.That(failure.Message, Does.Contain("simulated"));
    }

    [Test]
    public async Task MlTraining_NoDuration_RunsFiveSecondsAndStopsWhenCancelled()
    {
        var (context, _) = await ContextAsync("ml_training", """{"model_name":"fraud_detector","algorithm":"xgboost"}""");
        var handler = new MlTrainingHandler(_time, NullLogger<MlTrainingHandler>.Instance);
        using var cancel = new CancellationTokenSource();

        var running = handler.HandleAsync(Read<MlTrainingPayload>(context), context, cancel.Token);
        await _time.NextTimerAsync();
        _time.Advance(TimeSpan.FromMilliseconds(MlTrainingHandler.DefaultTrainingMs / 4));
        await _time.NextTimerAsync();
        Assert.That(running.IsCompleted, Is.False, "a quarter of the default training time in, it is still training");
        await cancel.CancelAsync();

        Assert.That(async () => await running.WaitAsync(TimeSpan.FromSeconds(30)), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void AddDemoHandlers_RegistersFlowCtlsFourTypesAndNoProcessRunner()
    {
        var services = new ServiceCollection();
        services.AddOrchestration(o => o.UseInMemory()).AddDemoHandlers();

        var types = services.Where(d => d.ServiceType == typeof(HandlerRegistration)).Select(d => ((HandlerRegistration)d.ImplementationInstance!).Type);

        Assert.That(types, Is.EquivalentTo(new[] { "etl", "ml_training", "ci", "generic" }));
    }

    private async Task<(TaskContext Context, Guid RunId)> ContextAsync(string type, string payload)
    {
        var created = await _client.CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Type = type, Name = type, InputJson = payload }] });
        var task = (await _client.Queries.GetRunTasksAsync(created.Run.OrgId, created.Run.Id, CancellationToken.None)).Single();
        return (new TaskContext(task, _client, NullLogger.Instance, _services), created.Run.Id);
    }

    private static T Read<T>(TaskContext context) => JsonSerializer.Deserialize<T>(context.Task.InputJson!, JsonDefaults.Options)!;

    /// <summary>A fake clock that tells the test when a timer was created, so it moves time only once a handler waits.</summary>
    private sealed class StepClock() : FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
        private readonly Channel<bool> _created = Channel.CreateUnbounded<bool>();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _created.Writer.TryWrite(true);
            return timer;
        }

        public async Task NextTimerAsync()
        {
            await _created.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
