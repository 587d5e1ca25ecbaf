using System.Diagnostics;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class TraceContextConformanceTests(Backend backend) : ConformanceTest(backend)
{
    // The listener matches by this constant, not through the source: a source created while listeners are consulted
    // would otherwise ask the listener about itself before its own field is set.
    private const string SourceName = "Orchestration.Tests.TraceContext";
    private static readonly ActivitySource Tests = new(SourceName);

    private static ActivityListener Listen(ActivitySamplingResult sampling)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private Task<IReadOnlyList<CreateRunResult>> CreateRunsAsync(int count) =>
        Client.CreateRunsAsync(Enumerable.Range(0, count).Select(_ => new RunSpec { OrgId = Org, Tasks = [T("a")] }).ToList());

    // The stored context is the creator's or, while the engine's own source is traced, that of the engine's create span
    // under it: either way the same trace, with the creator's trace state.
    [Test]
    public async Task GetRunTraceContexts_RunsCreatedInSampledTrace_ReturnTheTraceAndUntracedRunsNone()
    {
        using var listener = Listen(ActivitySamplingResult.AllDataAndRecorded);
        Run untraced = (await CreateRunsAsync(1))[0].Run;
        IReadOnlyList<CreateRunResult> one, batch;
        string traceId;
        using (var creator = Tests.StartActivity("request")!)
        {
            creator.TraceStateString = "vendor=abc";
            traceId = creator.TraceId.ToHexString();
            one = await CreateRunsAsync(1);
            // Large enough for the bulk path of the stores that have one (Postgres COPY).
            batch = await CreateRunsAsync(300);
        }

        var ids = one.Concat(batch).Select(r => r.Run.Id).Append(untraced.Id).Append(Guid.NewGuid()).ToList();
        var stored = await Queries.GetRunTraceContextsAsync(ids, CancellationToken.None);

        Assert.That(stored.Keys, Is.EquivalentTo(one.Concat(batch).Select(r => r.Run.Id)), "the untraced run and the unknown id are left out");
        foreach (var context in stored.Values)
        {
            Assert.That(ActivityContext.TryParse(context.TraceParent, context.TraceState, out var parsed), Is.True, context.TraceParent);
            Assert.That(parsed.TraceId.ToHexString(), Is.EqualTo(traceId));
            Assert.That(parsed.TraceFlags, Is.EqualTo(ActivityTraceFlags.Recorded));
            Assert.That(context.TraceState, Is.EqualTo("vendor=abc"));
        }
    }

    [Test]
    public async Task GetRunTraceContexts_CreatorNotSampled_NothingStored()
    {
        using var listener = Listen(ActivitySamplingResult.PropagationData);
        Run run;
        using (Tests.StartActivity("request"))
        {
            Assert.That(Activity.Current, Is.Not.Null.And.Property(nameof(Activity.Recorded)).False);
            run = (await CreateRunsAsync(1))[0].Run;
        }

        Assert.That(await Queries.GetRunTraceContextsAsync([run.Id], CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task GetRunTraceContexts_DuplicateCreateInAnotherTrace_KeepsTheFirstRunsContext()
    {
        using var listener = Listen(ActivitySamplingResult.AllDataAndRecorded);
        Run first;
        string firstTrace;
        using (var a = Tests.StartActivity("first")!)
        {
            firstTrace = a.TraceId.ToHexString();
            first = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, IdempotencyKey = "k", Tasks = [T("a")] })).Run;
        }

        using (Tests.StartActivity("second"))
        {
            var again = await Client.CreateRunAsync(new RunSpec { OrgId = Org, IdempotencyKey = "k", Tasks = [T("a")] });
            Assert.That(again.Created, Is.False);
        }

        var stored = await Queries.GetRunTraceContextsAsync([first.Id], CancellationToken.None);
        Assert.That(ActivityContext.Parse(stored[first.Id].TraceParent, null).TraceId.ToHexString(), Is.EqualTo(firstTrace));
    }
}
