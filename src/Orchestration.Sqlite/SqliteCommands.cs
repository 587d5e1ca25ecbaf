using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Orchestration.Sqlite;

/// <summary>
/// Runs SQL on one connection with positional arguments: the i-th distinct <c>$name</c> in the text takes the i-th
/// argument. Commands are cached per text so SQLite compiles each statement once and later calls only rebind values.
/// </summary>
internal sealed partial class SqliteCommands(SqliteConnection connection, bool cache) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, sqlite3_stmt> _native = new(StringComparer.Ordinal);

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

    /// <summary>
    /// Executes a write statement once through the native API, binding <paramref name="args"/> by position (SQLite numbers
    /// <c>$name</c> parameters in order of first appearance, the same convention as above). The statement is compiled once
    /// per connection. Buffered row writes use this: it skips the ADO.NET layer's per-execution work.
    /// </summary>
    /// <returns>Rows changed.</returns>
    public int ExecRow(string sql, params object?[] args)
    {
        var db = Connection.Handle!;
        if (!_native.TryGetValue(sql, out var stmt))
        {
            var prepared = raw.sqlite3_prepare_v2(db, sql, out stmt);
            SqliteException.ThrowExceptionForRC(prepared, db);
            _native[sql] = stmt;
        }

        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                var index = i + 1;
                var rc = args[i] switch
                {
                    null => raw.sqlite3_bind_null(stmt, index),
                    string s => raw.sqlite3_bind_text(stmt, index, s),
                    long l => raw.sqlite3_bind_int64(stmt, index, l),
                    int n => raw.sqlite3_bind_int64(stmt, index, n),
                    bool b => raw.sqlite3_bind_int64(stmt, index, b ? 1 : 0),
                    double d => raw.sqlite3_bind_double(stmt, index, d),
                    Guid g => raw.sqlite3_bind_text(stmt, index, g.ToString("D")),
                    DateTimeOffset t => raw.sqlite3_bind_int64(stmt, index, t.UtcTicks),
                    TimeSpan t => raw.sqlite3_bind_int64(stmt, index, t.Ticks),
                    var other => throw new ArgumentException($"Cannot bind a {other.GetType().Name}.", nameof(args)),
                };
                SqliteException.ThrowExceptionForRC(rc, db);
            }

            var step = raw.sqlite3_step(stmt);
            if (step != raw.SQLITE_DONE && step != raw.SQLITE_ROW) SqliteException.ThrowExceptionForRC(step, db);
            return raw.sqlite3_changes(db);
        }
        finally
        {
            raw.sqlite3_reset(stmt);
            raw.sqlite3_clear_bindings(stmt);
        }
    }

    /// <summary>The rowid of the last row inserted on this connection.</summary>
    public long LastInsertRowId => raw.sqlite3_last_insert_rowid(Connection.Handle);

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
        foreach (var stmt in _native.Values) stmt.Dispose();
        _native.Clear();
    }
}
