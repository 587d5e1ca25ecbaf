using System.Diagnostics;
using System.Text.RegularExpressions;
using Orchestration.Testing;

namespace Orchestration.EndToEnd.Tests.Host;

/// <summary>
/// The README's "first minute", run as a newcomer runs it: the sample host on a new SQLite file, the key read off its
/// banner, then the README's shell block with bash and curl.
/// </summary>
public sealed partial class FirstMinuteTests
{
    [Test]
    public async Task Readme_FirstMinuteCommands_CreateAWorkflowAndStreamItToCompletion()
    {
        using var dir = new TempDirectory();
        var database = Path.Combine(dir.Path, "first.db");
        var settings = new Dictionary<string, string>
        {
            ["Orchestration:Storage"] = "sqlite",
            ["ConnectionStrings:Orchestration"] = $"Data Source={database}",
            // The README's stream runs until Ctrl+C; here the server ends it so that the script ends.
            ["Orchestration:Events:MaxStreamSeconds"] = "15",
        };
        using var host = HostProcess.Start(settings, dir.Path);
        await host.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        var banner = await WaitForBannerAsync(host, TimeSpan.FromSeconds(30));

        Assert.That(banner, Does.Contain($"Storage:     SQLite, {database}"));
        Assert.That(banner, Does.Contain($"API:         http://127.0.0.1:{host.Port}/api/v1"));
        Assert.That(banner, Does.Contain($"Dashboard:   http://127.0.0.1:{host.Port}/dashboard"));
        var key = BannerKey().Match(banner);
        Assert.That(key.Success, Is.True, banner);
        Assert.That(Regex.Matches(host.Output, Regex.Escape(key.Groups[1].Value)), Has.Count.EqualTo(1),
            "the generated key appears once, in the banner, and never in the log");

        var readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "README.md"));
        var section = readme[readme.IndexOf("## The first minute", StringComparison.Ordinal)..];
        var block = ShellBlock().Match(section).Groups[1].Value;
        Assert.That(block, Does.Contain("KEY=orch_..."), "the README's block lost its key line");
        var script = KeyLine().Replace(block, $"KEY={key.Groups[1].Value}").Replace("http://localhost:5000", host.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal);

        var (exitCode, output) = await RunBashAsync(script, dir.Path, TimeSpan.FromSeconds(90));

        Assert.That(exitCode, Is.EqualTo(0), output);
        var created = CreatedWorkflow().Match(output);
        Assert.That(created.Success, Is.True, $"the create command did not answer a pending workflow:\n{output}");
        var runId = created.Groups[1].Value;
        Assert.That(output, Does.Match($"event: run.completed\\ndata: \\{{[^\\n]*\"run_id\":\"{runId}\""), output);
        Assert.That(Regex.Matches(output, $"event: task.completed\\ndata: \\{{[^\\n]*\"run_id\":\"{runId}\""), Has.Count.EqualTo(2), output);
    }

    // End-to-end across processes: the banner is printed by another process, so it is polled for with a deadline.
    private static async Task<string> WaitForBannerAsync(HostProcess host, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var output = host.Output;
            var start = output.IndexOf("Orchestration host is running", StringComparison.Ordinal);
            if (start >= 0 && output.IndexOf("First steps:", start, StringComparison.Ordinal) is var end and >= 0)
                return output[start..end];
            if (host.HasExited) Assert.Fail($"the host exited:\n{output}");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        Assert.Fail($"no banner within {timeout}:\n{host.Output}");
        return "";
    }

    private static async Task<(int ExitCode, string Output)> RunBashAsync(string script, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-euo");
        psi.ArgumentList.Add("pipefail");
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start bash");
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the README's commands did not end within {timeout}:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, $"{await stdout}\n{await stderr}");
    }

    [GeneratedRegex(@"Admin key:\s+(orch_[0-9a-f]+_[0-9a-f]+)")]
    private static partial Regex BannerKey();

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"^KEY=\S+", RegexOptions.Multiline)]
    private static partial Regex KeyLine();

    [GeneratedRegex("^\\{\"id\":\"([0-9a-f-]{36})\",\"name\":\"hello\",\"description\":\"\",\"status\":\"pending\"", RegexOptions.Multiline)]
    private static partial Regex CreatedWorkflow();
}
