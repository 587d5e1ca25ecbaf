using System.Diagnostics;
using System.Security.Cryptography;

namespace Orchestration.Http.Tests.Infrastructure;

/// <summary>
/// Runs the pinned <c>redocly lint</c> of tools/openapi-lint. Its packages are installed with <c>npm ci</c> once into
/// the test output (again only when package-lock.json changes), under a machine-wide lock so parallel test runs do not
/// install into the same folder at once.
/// </summary>
internal static class OpenApiLinter
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LintTimeout = TimeSpan.FromMinutes(2);

    /// <summary>npm's path, or null when it is not on PATH.</summary>
    public static string? Npm() => FindOnPath("npm");

    /// <summary>Lints <paramref name="document"/>; returns the exit code and what the linter printed (JSON report on stdout).</summary>
    public static (int ExitCode, string Stdout, string Stderr) Lint(string document)
    {
        var work = Install();
        return Run(FindOnPath("npx")!, work, LintTimeout,
            "--no-install", "redocly", "lint", document, "--config", Path.Combine(work, "redocly.yaml"), "--format=json");
    }

    private static string Install()
    {
        var source = Path.Combine(RepositoryRoot(), "tools", "openapi-lint");
        var work = Path.Combine(AppContext.BaseDirectory, "openapi-lint");
        // A named mutex is machine-wide on Linux as on Windows, and WaitOne blocks without polling.
        using var mutex = new Mutex(false, "orchestration-openapi-lint");
        if (!mutex.WaitOne(InstallTimeout)) throw new TimeoutException("Another test run held the openapi-lint install lock for " + InstallTimeout);
        try
        {
            Directory.CreateDirectory(work);
            foreach (var file in new[] { "package.json", "package-lock.json", "redocly.yaml" })
                File.Copy(Path.Combine(source, file), Path.Combine(work, file), overwrite: true);
            var stamp = Path.Combine(work, "node_modules", ".installed-lock-sha256");
            var lockHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(work, "package-lock.json"))));
            if (File.Exists(stamp) && File.ReadAllText(stamp) == lockHash) return work;

            var (exit, stdout, stderr) = Run(Npm()!, work, InstallTimeout, "ci", "--no-audit", "--no-fund", "--ignore-scripts");
            if (exit != 0) throw new InvalidOperationException($"npm ci in {work} exited with {exit}:\n{stdout}\n{stderr}");
            File.WriteAllText(stamp, lockHash);
            return work;
        }
        finally
        {
            mutex.ReleaseMutex();
        }
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string file, string directory, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // No usage telemetry and no update check: the test must not depend on reaching Redocly's servers.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}");
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Orchestration.sln"))) return dir.FullName;
        throw new InvalidOperationException("Orchestration.sln not found above " + AppContext.BaseDirectory);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
