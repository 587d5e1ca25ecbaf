using Orchestration.Engine;

namespace Orchestration.Core.Tests.Engine;

public sealed class ConcurrencyKeyTests
{
    private static EngineOptions Options(params KeyLimit[] limits)
    {
        var options = new EngineOptions();
        foreach (var l in limits) options.KeyLimits.Add(l);
        return options;
    }

    [Test]
    public void Resolve_TemplateWithOrgTypeAndInputPath_ExpandedAndLimited()
    {
        var task = new TaskSpec { Type = "resize", InputJson = """{"customer":{"id":42}}""", ConcurrencyKey = "{org}/{type}/{$.customer.id}" };

        var (key, max, _, _) = ConcurrencyKeys.Resolve(Options(new KeyLimit { Key = "org-a/*", MaxRunning = 3 }), task, "org-a");

        Assert.That(key, Is.EqualTo("org-a/resize/42"));
        Assert.That(max, Is.EqualTo(3));
    }

    [Test]
    public void Resolve_FirstMatchingLimit_Wins()
    {
        var task = new TaskSpec { Type = "x", ConcurrencyKey = "customer:vip" };

        var (_, max, _, _) = ConcurrencyKeys.Resolve(Options(new KeyLimit { Key = "customer:vip", MaxRunning = 10 }, new KeyLimit { Key = "customer:*", MaxRunning = 1 }), task, "o");

        Assert.That(max, Is.EqualTo(10));
    }

    [Test]
    public void Resolve_NoLimitMatches_TaskCarriesNoKey()
    {
        var task = new TaskSpec { Type = "x", ConcurrencyKey = "tenant:1" };

        Assert.That(ConcurrencyKeys.Resolve(Options(new KeyLimit { Key = "customer:*", MaxRunning = 1 }), task, "o"), Is.EqualTo(ConcurrencyKeys.Limits.None));
    }

    [Test]
    public void Resolve_SpecWithoutKey_TakesTheTypeTemplate()
    {
        var options = Options(new KeyLimit { Key = "gpu:*", MaxRunning = 2 });
        options.TypeConcurrencyKeys["gpu"] = "gpu:{org}";

        Assert.That(ConcurrencyKeys.Resolve(options, new TaskSpec { Type = "gpu" }, "org-b").Key, Is.EqualTo("gpu:org-b"));
        Assert.That(ConcurrencyKeys.Resolve(options, new TaskSpec { Type = "cpu" }, "org-b").Key, Is.Null);
    }

    [Test]
    public void Resolve_TypeWithoutTemplate_TakesTheCatchAllTemplate()
    {
        var options = Options(new KeyLimit { Key = "org:*", MaxRunning = 8 });
        options.TypeConcurrencyKeys["gpu"] = "gpu";
        options.TypeConcurrencyKeys["*"] = "org:{org}";

        Assert.That(ConcurrencyKeys.Resolve(options, new TaskSpec { Type = "cpu" }, "org-b"), Is.EqualTo(new ConcurrencyKeys.Limits("org:org-b", 8, null, null)));
        Assert.That(ConcurrencyKeys.Resolve(options, new TaskSpec { Type = "gpu" }, "org-b").Key, Is.Null, "gpu has its own template, which no limit matches");
    }

    [TestCase("""{"other":1}""", "the input has no $.customerId")]
    [TestCase("""{"customerId":{"a":1}}""", "$.customerId in the input is not a string, number or boolean")]
    [TestCase(null, "it reads the input, and the task has none")]
    public void Resolve_InputPathUnusable_RefusedNamingTheProblem(string? input, string problem)
    {
        var task = new TaskSpec { Type = "x", InputJson = input, ConcurrencyKey = "c:{$.customerId}" };

        var ex = Assert.Throws<OrchestrationValidationException>(() => ConcurrencyKeys.Resolve(Options(new KeyLimit { Key = "c:*" }), task, "o"));

        Assert.That(ex!.Message, Is.EqualTo("concurrency_key: " + problem));
        Assert.That(ex.Field, Is.EqualTo("concurrency_key"));
    }

    [Test]
    public void Resolve_ResolvedKeyTooLong_Refused()
    {
        var task = new TaskSpec { Type = "x", InputJson = $$"""{"v":"{{new string('a', 300)}}"}""", ConcurrencyKey = "{$.v}" };

        var ex = Assert.Throws<OrchestrationValidationException>(() => ConcurrencyKeys.Resolve(Options(), task, "o"));

        Assert.That(ex!.Message, Does.Contain("longer than 255"));
    }

    [Test]
    public void Validate_UnknownPlaceholderInTypeTemplate_NamesIt()
    {
        var options = new EngineOptions();
        options.TypeConcurrencyKeys["gpu"] = "{tenant}";

        Assert.That(options.Validate(), Does.Contain("unknown placeholder {tenant}"));
    }

    [Test]
    public void Validate_KeyLimitBelowOne_Refused()
    {
        Assert.That(Options(new KeyLimit { Key = "k", MaxRunning = 0 }).Validate(), Is.EqualTo("Orchestration: KeyLimits[\"k\"].MaxRunning must be at least 1."));
    }

    [TestCase(1, 3, 1)]
    [TestCase(5, 3, 3)]
    public void Resolve_TaskCarriedAndHostLimit_LowerApplies(int own, int host, int expected)
    {
        var task = new TaskSpec { Type = "t", ConcurrencyKey = "c:1", ConcurrencyLimit = own };

        Assert.That(ConcurrencyKeys.Resolve(Options(new KeyLimit { Key = "c:*", MaxRunning = host }), task, "o").MaxRunning, Is.EqualTo(expected));
    }

    [Test]
    public void Resolve_TaskCarriedLimitAndNoHostEntry_KeyKeptWithTheTasksLimit()
    {
        var task = new TaskSpec { Type = "t", ConcurrencyKey = "c:1", ConcurrencyLimit = 4 };

        Assert.That(ConcurrencyKeys.Resolve(Options(), task, "o"), Is.EqualTo(new ConcurrencyKeys.Limits("c:1", 4, null, null)));
    }

    [Test]
    public void Resolve_RateEntry_CarriesTheRateAndNoRunningLimit()
    {
        var task = new TaskSpec { Type = "t", ConcurrencyKey = "api:1" };

        var limits = ConcurrencyKeys.Resolve(Options(new KeyLimit { Key = "api:*", MaxStarts = 10, Window = TimeSpan.FromMinutes(1) }), task, "o");

        Assert.That(limits, Is.EqualTo(new ConcurrencyKeys.Limits("api:1", null, 10, TimeSpan.FromMinutes(1))));
    }

    [Test]
    public void Resolve_EntryNamingOnlyAKey_LimitsToOneRunningAsBefore()
    {
        var task = new TaskSpec { Type = "t", ConcurrencyKey = "k" };

        Assert.That(ConcurrencyKeys.Resolve(Options(new KeyLimit { Key = "k" }), task, "o").MaxRunning, Is.EqualTo(1));
    }

    [TestCase(0)]
    [TestCase(10_001)]
    public void Resolve_TaskCarriedLimitOutOfRange_RefusedNamingConcurrencyLimit(int own)
    {
        var ex = Assert.Throws<OrchestrationValidationException>(() => ConcurrencyKeys.Resolve(Options(), new TaskSpec { Type = "t", ConcurrencyKey = "k", ConcurrencyLimit = own }, "o"));

        Assert.That(ex!.Message, Does.Contain("concurrency_limit"));
    }

    [Test]
    public void Resolve_TaskCarriedLimitWithoutAKey_RefusedNamingConcurrencyLimit()
    {
        var ex = Assert.Throws<OrchestrationValidationException>(() => ConcurrencyKeys.Resolve(Options(), new TaskSpec { Type = "t", ConcurrencyLimit = 2 }, "o"));

        Assert.That(ex!.Message, Does.Contain("concurrency_limit needs a concurrency_key"));
    }

    [TestCase(null, 5, "MaxStarts needs a Window")]
    [TestCase(60, null, "Window needs MaxStarts")]
    [TestCase(0.5, 5, "from 1 second to 1 day")]
    [TestCase(90_000, 5, "from 1 second to 1 day")]
    [TestCase(60, 0, "MaxStarts must be at least 1")]
    public void Validate_BadRateEntry_NamesTheSetting(double? windowSeconds, int? maxStarts, string problem)
    {
        var options = Options(new KeyLimit { Key = "api:*", MaxStarts = maxStarts, Window = windowSeconds is { } s ? TimeSpan.FromSeconds(s) : null });

        Assert.That(options.Validate(), Does.Contain("KeyLimits[\"api:*\"]").And.Contain(problem));
    }
}
