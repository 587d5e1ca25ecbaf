using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Orchestration.Sqlite;

/// <summary>
/// Runs SQL on one connection with positional arguments: the i-th distinct <c>$name</c> in the text takes the i-th
/// argument. Commands are cached per text so SQLite compiles each statement once and later calls only rebind values.
/// </summary>
internal sealed partial class SqliteCommands(SqliteConnection connection, bool cache) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _cache = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; } = connection;

    public int Exec(string sql, params object?[] args)
    {
        var cmd = Prepare(sql, args);
        try
        {
            return cmd.ExecuteNonQuery();
        }
        finally
        {
            Done(cmd);
        }
    }

    public object? Scalar(string sql, params object?[] args)
    {
        var cmd = Prepare(sql, args);
        try
        {
            var value = cmd.ExecuteScalar();
            return value is DBNull ? null : value;
        }
        finally
        {
            Done(cmd);
        }
    }

    /// <summary>Reads every row with <paramref name="map"/> before returning, so the statement is free for reuse.</summary>
    public List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params object?[] args)
    {
        var cmd = Prepare(sql, args);
        try
        {
            using var reader = cmd.ExecuteReader();
            var list = new List<T>();
            while (reader.Read()) list.Add(map(reader));
            return list;
        }
        finally
        {
            Done(cmd);
        }
    }

    public T? QuerySingle<T>(string sql, Func<SqliteDataReader, T> map, params object?[] args) where T : class
    {
        var cmd = Prepare(sql, args);
        try
        {
            using var reader = cmd.ExecuteReader();
            return reader.Read() ? map(reader) : null;
        }
        finally
        {
            Done(cmd);
        }
    }

    /// <summary>Runs an INSERT and returns the new row's rowid (cheaper than RETURNING, which buffers a result set).</summary>
    public long Insert(string sql, params object?[] args)
    {
        Exec(sql, args);
        return SQLitePCL.raw.sqlite3_last_insert_rowid(Connection.Handle);
    }

    private SqliteCommand Prepare(string sql, object?[] args)
    {
        if (!cache || !_cache.TryGetValue(sql, out var cmd))
        {
            cmd = Connection.CreateCommand();
            cmd.CommandText = sql;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match m in ParameterName().Matches(sql))
            {
                if (seen.Add(m.Value)) cmd.Parameters.Add(new SqliteParameter { ParameterName = m.Value });
            }

            if (cache) _cache[sql] = cmd;
        }

        if (cmd.Parameters.Count != args.Length)
            throw new InvalidOperationException($"SQL expects {cmd.Parameters.Count} arguments, got {args.Length}: {sql}");
        for (var i = 0; i < args.Length; i++) cmd.Parameters[i].Value = SqliteValues.ToDb(args[i]);
        return cmd;
    }

    private void Done(SqliteCommand cmd)
    {
        if (!cache) cmd.Dispose();
    }

    [GeneratedRegex(@"\$[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex ParameterName();

    public void Dispose()
    {
        foreach (var cmd in _cache.Values) cmd.Dispose();
        _cache.Clear();
    }
}
