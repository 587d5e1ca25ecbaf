using System.Diagnostics;

namespace Orchestration.Exec.Tests;

/// <summary>Polls (with a deadline) for process death and files written by test scripts.</summary>
internal static class ProcessProbe
{
    /// <summary>
    /// True once <paramref name="pid"/> no longer runs: gone from /proc, or a zombie (killed, waiting for a parent
    /// that is not ours to reap it).
    /// </summary>
    public static bool WaitUntilGone(int pid, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < deadline)
        {
            if (!IsRunning(pid)) return true;
            Thread.Sleep(20);
        }

        return !IsRunning(pid);
    }

    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The state follows the parenthesised command name, which may itself contain spaces or parentheses.
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    public static async Task<bool> WaitForFileAsync(string path, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < deadline)
        {
            if (File.Exists(path)) return true;
            await Task.Delay(20);
        }

        return File.Exists(path);
    }
}
