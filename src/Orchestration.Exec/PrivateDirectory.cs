using System.Collections.Concurrent;

namespace Orchestration.Exec;

/// <summary>
/// Makes sure a directory that will hold binaries about to be executed belongs to this user and nobody else can
/// write into it. The defaults live under the shared temp directory, where another local user could have created
/// the directory first and then swapped a verified binary between the hash check and the exec.
/// </summary>
internal static class PrivateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly ConcurrentDictionary<string, bool> Secured = new(StringComparer.Ordinal);

    /// <summary>Creates <paramref name="path"/> owner-only, or checks and tightens an existing one; throws when it cannot be trusted.</summary>
    public static void Ensure(string path)
    {
        var full = Path.GetFullPath(path);
        if (Secured.ContainsKey(full) && Directory.Exists(full)) return;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
            Secured[full] = true;
            return;
        }

        if (!Directory.Exists(full))
        {
            Directory.CreateDirectory(full, OwnerOnly);
        }
        else
        {
            var info = new DirectoryInfo(full);
            if (info.LinkTarget is not null)
                throw new InvalidOperationException($"Orchestration: exec directory {full} is a symbolic link; point the option at a real directory owned by this user.");
            try
            {
                // chmod succeeds only for the owner (or root), so this doubles as the ownership check.
                File.SetUnixFileMode(full, OwnerOnly);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new InvalidOperationException($"Orchestration: exec directory {full} belongs to another user; binaries there could be swapped before they run. Use a directory owned by this user.", ex);
            }
        }

        Secured[full] = true;
    }
}
