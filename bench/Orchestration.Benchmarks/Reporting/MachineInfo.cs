using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Orchestration.Benchmarks.Reporting;

/// <summary>The machine, the versions and the commit a run was measured on, so figures can be compared honestly.</summary>
public sealed record MachineInfo
{
    public required int Cores { get; init; }
    public required double MemoryGiB { get; init; }
    public required string Cpu { get; init; }
    public required string Os { get; init; }
    public required string Runtime { get; init; }
    public required string Commit { get; init; }
    public required IReadOnlyDictionary<string, string> Versions { get; init; }

    public static MachineInfo Capture()
    {
        var versions = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["Orchestration.Core"] = VersionOf(typeof(Orchestration.Hosting.OrchestrationOptions).Assembly),
            ["Hangfire.Core"] = VersionOf(typeof(Hangfire.BackgroundJob).Assembly),
            ["Hangfire.InMemory"] = VersionOf(typeof(Hangfire.InMemory.InMemoryStorage).Assembly),
            ["Hangfire.PostgreSql"] = VersionOf(typeof(Hangfire.PostgreSql.PostgreSqlStorage).Assembly),
            ["Quartz"] = VersionOf(typeof(Quartz.IScheduler).Assembly),
            ["Npgsql"] = VersionOf(typeof(Npgsql.NpgsqlConnection).Assembly),
            ["Microsoft.Data.Sqlite"] = VersionOf(typeof(Microsoft.Data.Sqlite.SqliteConnection).Assembly),
        };
        return new MachineInfo
        {
            Cores = Environment.ProcessorCount,
            MemoryGiB = Math.Round(TotalMemoryBytes() / (1024.0 * 1024 * 1024), 1),
            Cpu = CpuModel(),
            Os = RuntimeInformation.OSDescription,
            Runtime = RuntimeInformation.FrameworkDescription,
            Commit = GitCommit(),
            Versions = versions,
        };
    }

    /// <summary>The 1, 5 and 15 minute load averages, or null off Linux.</summary>
    public static string? LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string VersionOf(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational)) return assembly.GetName().Version?.ToString() ?? "unknown";
        // Drop the build metadata (+sha) that some packages append; the commit is reported separately.
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? informational[..plus] : informational;
    }

    private static long TotalMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
                var kb = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }
        catch (IOException)
        {
            // Not Linux: fall back to what the GC knows.
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            // Not Linux.
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string GitCommit()
    {
        try
        {
            var start = new ProcessStartInfo("git", "rev-parse HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            using var git = Process.Start(start);
            if (git is null) return "unknown";
            var sha = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit(5000);
            if (git.ExitCode != 0 || sha.Length < 7) return "unknown";
            using var dirty = Process.Start(new ProcessStartInfo("git", "status --porcelain --untracked-files=no")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory,
            });
            var changes = dirty?.StandardOutput.ReadToEnd().Trim();
            dirty?.WaitForExit(5000);
            return string.IsNullOrEmpty(changes) ? sha : sha + "-dirty";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
