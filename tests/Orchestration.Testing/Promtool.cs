using System.Diagnostics;

namespace Orchestration.Testing;

/// <summary>
/// Provides Prometheus's own checker, <c>promtool</c>, for the metrics test. Like the Postgres fixture provisions its
/// server, this provisions the tool: when it is missing and the tests run as root with apt-get (the machines this
/// project builds on), it installs Debian's <c>prometheus</c> package once per test process. Otherwise the caller
/// fails with the command to run.
/// </summary>
public static class Promtool
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _path;

    /// <summary>The path of promtool, installing it if needed; throws with the install command when that is impossible.</summary>
    public static async Task<string> EnsureAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_path is not null) return _path;
            _path = Find();
            if (_path is not null) return _path;
            if (Environment.UserName != "root" || !File.Exists("/usr/bin/apt-get"))
                throw new InvalidOperationException("promtool is not installed; install Debian's package: apt-get install prometheus");

            await RunAsync("/usr/bin/apt-get", "update", "-qq");
            await RunAsync("/usr/bin/apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus");
            return _path = Find() ?? throw new InvalidOperationException("apt-get installed prometheus but promtool is still not on PATH");
        }
        finally
        {
            Gate.Release();
        }
    }

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin")
            .Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "promtool"))
            .FirstOrDefault(File.Exists);

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stdout}{await stderr}");
    }
}
