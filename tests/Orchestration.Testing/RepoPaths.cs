namespace Orchestration.Testing;

/// <summary>Locates the repository and the build outputs tests start as child processes.</summary>
public static class RepoPaths
{
    /// <summary>The folder holding Orchestration.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release, as this test assembly was built, so child processes match it.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The built sample host (<c>dotnet &lt;this&gt;</c> starts it without rebuilding).</summary>
    public static string HostDll => Path.Combine(Root, "samples", "Orchestration.Host", "bin", Configuration, "net10.0", "Orchestration.Host.dll");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orchestration.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Orchestration.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates the directory.</summary>
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("orchestration-test-").FullName;
    }

    /// <summary>Its full path.</summary>
    public string Path { get; }

    /// <summary>Deletes it with everything inside.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file for a moment; the OS temp cleaner will get it.
        }
    }
}
