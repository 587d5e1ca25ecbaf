using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Hosting;

/// <summary>
/// Runs every curl example of <c>docs/api/foreman.md</c> in order against the host, with a tiny interpreter for the
/// shell the examples use (quoting, <c>$VAR</c>, <c>VAR=$(curl ... | jq -r .field)</c>). A block starting with
/// <c># expect NNN</c> must answer that status; every other block must succeed.
/// </summary>
public sealed partial class DocsExamplesTests(ApiBackend backend) : ApiFixture(backend)
{
    [Test]
    public async Task ForemanDoc_EveryCurlExample_RunsAsDocumented()
    {
        var doc = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "docs", "api", "foreman.md"));
        var blocks = ShellBlock().Matches(doc).Select(m => m.Groups[1].Value).Where(b => b.Contains("curl ", StringComparison.Ordinal)).ToList();
        var vars = new Dictionary<string, string> { ["BASE"] = "http://localhost", ["ADMIN_KEY"] = ApiFactory.BootstrapKey };
        using var client = Factory.Anonymous();

        Assert.That(blocks, Has.Count.GreaterThanOrEqualTo(20), "the doc lost its examples");
        foreach (var block in blocks)
        {
            var lines = block.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var expected = lines[0].StartsWith("# expect ", StringComparison.Ordinal) ? int.Parse(lines[0]["# expect ".Length..], System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
            foreach (var command in lines.Where(l => !l.StartsWith('#')))
            {
                var capture = Capture().Match(command);
                var curl = capture.Success ? capture.Groups[2].Value : command;
                var (status, body) = await RunCurlAsync(client, Words(curl, vars));

                if (expected is { } code) Assert.That((int)status, Is.EqualTo(code), command);
                else Assert.That((int)status, Is.InRange(200, 299), $"{command}\n→ {body}");
                if (capture.Success)
                {
                    var value = JsonNode.Parse(body)?[capture.Groups[3].Value]?.GetValue<string>();
                    Assert.That(value, Is.Not.Null.And.Not.Empty, $"{command}\n→ {body}");
                    vars[capture.Groups[1].Value] = value!;
                }
            }
        }

        Assert.That(vars.Keys, Is.SupersetOf(new[] { "ORG_ID", "API_KEY", "KEY_ID", "RUN_ID", "TASK_ID", "ENTRY_ID" }));
    }

    private static async Task<(HttpStatusCode Status, string Body)> RunCurlAsync(HttpClient client, List<string> words)
    {
        Assert.That(words[0], Is.EqualTo("curl"));
        var method = HttpMethod.Get;
        string? url = null, data = null;
        using var request = new HttpRequestMessage();
        var headers = new List<(string, string)>();
        for (var i = 1; i < words.Count; i++)
        {
            switch (words[i])
            {
                case "-s":
                case "-i":
                    break;
                case "-X":
                    method = new HttpMethod(words[++i]);
                    break;
                case "-H":
                    var h = words[++i];
                    var colon = h.IndexOf(':', StringComparison.Ordinal);
                    headers.Add((h[..colon].Trim(), h[(colon + 1)..].Trim()));
                    break;
                case "-d":
                case "--data":
                    data = words[++i];
                    if (method == HttpMethod.Get) method = HttpMethod.Post;
                    break;
                default:
                    Assert.That(words[i], Does.StartWith("http"), "unsupported curl option in the doc");
                    url = words[i];
                    break;
            }
        }

        request.Method = method;
        request.RequestUri = new Uri(url!);
        if (data is not null) request.Content = new StringContent(data, Encoding.UTF8);
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) request.Content!.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(value);
            else request.Headers.TryAddWithoutValidation(name, value);
        }

        if (request.Content is not null && !headers.Any(h => h.Item1.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded");
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Splits a command into words as a POSIX shell would, for the quoting the doc uses.</summary>
    private static List<string> Words(string command, Dictionary<string, string> vars)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        var quote = '\0';
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (quote == '\'')
            {
                if (c == '\'') quote = '\0';
                else current.Append(c);
            }
            else if (c == '$' && i + 1 < command.Length && (char.IsLetter(command[i + 1]) || command[i + 1] == '_'))
            {
                var end = i + 1;
                while (end < command.Length && (char.IsLetterOrDigit(command[end]) || command[end] == '_')) end++;
                var name = command[(i + 1)..end];
                Assert.That(vars.ContainsKey(name), Is.True, $"the doc uses ${name} before setting it");
                current.Append(vars[name]);
                inWord = true;
                i = end - 1;
            }
            else if (quote == '"')
            {
                if (c == '"') quote = '\0';
                else current.Append(c);
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (inWord) words.Add(current.ToString());
        return words;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orchestration.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new AssertionException("repository root not found");
    }

    [GeneratedRegex("```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"^(\w+)=\$\((.*)\|\s*jq -r \.(\w+)\s*\)$", RegexOptions.Singleline)]
    private static partial Regex Capture();
}
