using System.Diagnostics;

namespace Orchestration.Dashboard.Tests.Infrastructure;

/// <summary>
/// Finds Debian's chromium, installing it with apt-get when it is missing (as the Postgres fixture starts its own
/// server): Playwright never downloads a browser build here. No browser after that is a failure, never a skip.
/// </summary>
internal static class Chromium
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    public static readonly string[] LaunchArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];

    public static string Find()
    {
        if (Environment.GetEnvironmentVariable("ORCHESTRATION_TEST_CHROMIUM") is { Length: > 0 } configured)
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"ORCHESTRATION_TEST_CHROMIUM names {configured}, which does not exist.");
        if (Existing() is { } found) return found;

        var log = Install();
        return Existing() ?? throw new InvalidOperationException(
            "The dashboard's browser tests need chromium (Debian package 'chromium') and installing it failed. Install it with "
            + "'apt-get install -y chromium' or set ORCHESTRATION_TEST_CHROMIUM to a chromium binary." + Environment.NewLine + log);
    }

    private static string? Existing() => Candidates.FirstOrDefault(File.Exists);

    private static string Install()
    {
        if (!File.Exists("/usr/bin/apt-get")) return "apt-get is not available on this machine.";
        var output = new System.Text.StringBuilder();
        foreach (var args in new[] { "update", "install -y --no-install-recommends chromium" })
        {
            using var process = Process.Start(new ProcessStartInfo("/usr/bin/apt-get", args)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                Environment = { ["DEBIAN_FRONTEND"] = "noninteractive" },
            })!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(8))) process.Kill(entireProcessTree: true);
            output.Append("apt-get ").Append(args).Append(": exit ").Append(process.HasExited ? process.ExitCode : -1).AppendLine()
                .AppendLine(stderr.Result.Length > 2000 ? stderr.Result[^2000..] : stderr.Result);
            _ = stdout.Result;
        }

        return output.ToString();
    }
}
