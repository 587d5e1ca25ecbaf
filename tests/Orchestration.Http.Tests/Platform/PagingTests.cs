using Orchestration.Http.Foreman;
using Orchestration.Http.Jobs;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.Errors;

namespace Orchestration.Http.Tests.Platform;

/// <summary>The one limit/offset parser, and the paging each family answers through it.</summary>
public sealed class PagingTests
{
    private sealed class Refused(string field, string problem) : Exception($"{field} {problem}")
    {
        public string Field { get; } = field;
    }

    private static readonly PagingWire Wire = new(7, 50, (field, problem) => new Refused(field, problem), "size", "skip");

    [Test]
    public void Limit_Absent_IsTheWiresDefault()
    {
        Assert.That(Wire.Limit(null), Is.EqualTo(7));
        Assert.That(Wire.Limit(""), Is.EqualTo(7));
    }

    [TestCase("1", 1)]
    [TestCase("50", 50)]
    [TestCase("51", 50)]
    [TestCase("2147483647", 50)]
    public void Limit_PositiveInteger_IsKeptUpToTheWiresMaximum(string value, int expected) =>
        Assert.That(Wire.Limit(value), Is.EqualTo(expected));

    [TestCase("0")]
    [TestCase("-1")]
    [TestCase("+5")]
    [TestCase(" 5")]
    [TestCase("1.5")]
    [TestCase("abc")]
    [TestCase("2147483648")]
    public void Limit_NotAPositiveInteger_IsRefusedByTheWireNamingItsParameter(string value)
    {
        var refused = Assert.Throws<Refused>(() => Wire.Limit(value));

        Assert.That(refused!.Field, Is.EqualTo("size"));
        Assert.That(refused.Message, Is.EqualTo("size must be a positive integer"));
    }

    [Test]
    public void Offset_Absent_IsZero()
    {
        Assert.That(Wire.Offset(null), Is.Zero);
        Assert.That(Wire.Offset(""), Is.Zero);
    }

    [TestCase("0", 0)]
    [TestCase("40", 40)]
    [TestCase("2147483647", int.MaxValue)]
    public void Offset_NonNegativeInteger_IsKeptAsIs(string value, int expected) =>
        Assert.That(Wire.Offset(value), Is.EqualTo(expected));

    [TestCase("-1")]
    [TestCase("abc")]
    [TestCase("2147483648")]
    public void Offset_NotANonNegativeInteger_IsRefusedByTheWireNamingItsParameter(string value)
    {
        var refused = Assert.Throws<Refused>(() => Wire.Offset(value));

        Assert.That(refused!.Field, Is.EqualTo("skip"));
        Assert.That(refused.Message, Is.EqualTo("skip must be a non-negative integer"));
    }

    [Test]
    public void ForemanLists_PageBy20UpTo100_AndRefuseWithTheValidationBody()
    {
        Assert.That((QueryParsing.ListPages.DefaultLimit, QueryParsing.ListPages.MaxLimit), Is.EqualTo((20, 100)));
        Assert.That((QueryParsing.DataPages.DefaultLimit, QueryParsing.DataPages.MaxLimit), Is.EqualTo((100, 100)));

        var refused = Assert.Throws<ApiException>(() => QueryParsing.ListPages.Limit("0"));

        Assert.That(refused!.Message, Is.EqualTo("Validation failed: limit must be a positive integer"));
        Assert.That(refused.Details!.Single().Field, Is.EqualTo("limit"));
    }

    [Test]
    public void JobList_PagesBy100UpTo1000_AndRefusesWithTheJobQueueBody()
    {
        Assert.That((JobEndpoints.Pages.DefaultLimit, JobEndpoints.Pages.MaxLimit), Is.EqualTo((100, 1000)));

        var refused = Assert.Throws<JobsException>(() => JobEndpoints.Pages.Offset("-1"));

        Assert.That(refused!.Message, Is.EqualTo("offset must be a non-negative integer"));
        Assert.That(refused.Context!["field"], Is.EqualTo("offset"));
    }
}
