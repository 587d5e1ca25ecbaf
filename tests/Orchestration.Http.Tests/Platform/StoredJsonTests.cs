using System.Text.Json;
using Orchestration.Http.Platform;

namespace Orchestration.Http.Tests.Platform;

/// <summary>Stored text that no JSON writer accepts is turned into something every response can carry.</summary>
public sealed class StoredJsonTests
{
    private static string Write(object? value) => JsonSerializer.Serialize(value);

    [TestCase("\"\\ud800\"", TestName = "Element_EscapedLoneSurrogate_ReturnsInvalidMarker")]
    [TestCase("{\"\\udc00\":1}", TestName = "Element_EscapedLoneSurrogateInPropertyName_ReturnsInvalidMarker")]
    [TestCase("{not json", TestName = "Element_NotJson_ReturnsInvalidMarker")]
    public void Element_TextNoWriterAccepts_ReturnsInvalidMarkerThatCanBeWritten(string stored)
    {
        var element = StoredJson.Element(stored);

        Assert.That(element!.Value.GetProperty("invalid").GetBoolean(), Is.True);
        Assert.That(Write(element), Does.Contain(StoredJson.InvalidMessage));
    }

    [Test]
    public void Element_RawLoneSurrogate_ReturnsInvalidMarker()
    {
        // Not a TestCase: attribute arguments are stored as UTF-8, which would turn the surrogate into U+FFFD.
        var element = StoredJson.Element("\"a\ud800\"");

        Assert.That(element!.Value.GetProperty("invalid").GetBoolean(), Is.True);
        Assert.That(Write(element), Does.Contain(StoredJson.InvalidMessage));
    }

    [Test]
    public void Element_ValidSurrogatePairEscape_ReturnedAsStored()
    {
        var element = StoredJson.Element("{\"face\":\"\\ud83d\\ude00\"}");

        Assert.That(element!.Value.GetProperty("face").GetString(), Is.EqualTo("\U0001F600"));
    }

    [Test]
    public void Text_LoneSurrogates_ReplacedAndPairsKept()
    {
        Assert.That(StoredJson.Text("a\ud800b\U0001F600\udc00"), Is.EqualTo("a\uFFFDb\U0001F600\uFFFD"));
        Assert.That(() => Write(StoredJson.Text("x\ud800")), Throws.Nothing);
    }
}
