using System.Text.RegularExpressions;
using MyApp;
using Orchestration.Testing;

namespace Orchestration.EndToEnd.Tests;

public sealed partial class ReadmeExampleTests
{
    [Test]
    public void ReadmeExample_CodeBlock_IsTheCodeThisProjectCompiles()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var block = CSharpBlock().Match(readme);
        var compiled = File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "Orchestration.EndToEnd.Tests", "ReadmeExample.cs"));

        Assert.That(block.Success, Is.True, "README.md has no C# example");
        Assert.That(Normalize(compiled), Is.EqualTo(Normalize(block.Groups[1].Value)), "README's example and ReadmeExample.cs have drifted apart");
    }

    [Test]
    public async Task ReadmeExample_Run_CompletesOnSqlite()
    {
        using var dir = new TempDirectory();

        var status = await Example.RunAsync($"Data Source={Path.Combine(dir.Path, "example.db")}").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(status, Is.EqualTo("completed"));
    }

    private static string Normalize(string code) => string.Join('\n', code.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd())).Trim();

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
