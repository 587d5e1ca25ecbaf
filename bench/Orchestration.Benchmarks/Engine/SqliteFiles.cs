namespace Orchestration.Benchmarks.Engine;

internal static class SqliteFiles
{
    /// <summary>Removes a database file and its WAL companions; a leftover file only costs disk in the temp folder.</summary>
    public static void Delete(string path)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var p in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            try
            {
                File.Delete(p);
            }
            catch (IOException)
            {
                // Still open somewhere; the temp folder is removed at the end of the run.
            }
        }
    }
}
