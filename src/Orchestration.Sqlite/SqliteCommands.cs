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

    /// <summary>The first column of the first row, as SQLite stores it (long, double, string), or null.</summary>
    public object? Scalar(string sql, params object?[] args)
    {
        var stmt = Native(sql, args);
        try
        {
            var step = raw.sqlite3_step(stmt);
            if (step == raw.SQLITE_DONE) return null;
            if (step != raw.SQLITE_ROW) SqliteException.ThrowExceptionForRC(step, Connection.Handle);
            return raw.sqlite3_column_type(stmt, 0) switch
            {
                raw.SQLITE_NULL => null,
                raw.SQLITE_INTEGER => raw.sqlite3_column_int64(stmt, 0),
                raw.SQLITE_FLOAT => raw.sqlite3_column_double(stmt, 0),
                _ => new Row(stmt).GetString(0),
            };
        }
        finally
        {
            Release(stmt);
        }
    }

    /// <summary>Like <see cref="Query{T}"/>, but stops reading at the first row <paramref name="take"/> refuses.</summary>
    public List<T> QueryWhile<T>(string sql, Func<Row, T> map, Func<T, bool> take, params object?[] args)
    {
        var stmt = Native(sql, args);
        try
        {
            var list = new List<T>();
            while (Step(stmt))
            {
                var item = map(new Row(stmt));
                if (!take(item)) break;
                list.Add(item);
            }

            return list;
        }
        finally
        {
            Release(stmt);
        }
    }

    /// <summary>Reads every row with <paramref name="map"/> before returning, so the statement is free for reuse.</summary>
    public List<T> Query<T>(string sql, Func<Row, T> map, params object?[] args)
    {
        var stmt = Native(sql, args);
        try
        {
            var list = new List<T>();
            while (Step(stmt)) list.Add(map(new Row(stmt)));
            return list;
        }
        finally
        {
            Release(stmt);
        }
    }

    public T? QuerySingle<T>(string sql, Func<Row, T> map, params object?[] args) where T : class
    {
        var stmt = Native(sql, args);
        try
        {
            return Step(stmt) ? map(new Row(stmt)) : null;
        }
        finally
        {
            Release(stmt);
        }
    }

    /// <summary>
    /// The compiled statement for <paramref name="sql"/> with typed binds; only on a caching (writer) connection, where
    /// statements live as long as the connection.
    /// </summary>
    public Stmt Statement(string sql)
    {
        if (!cache) throw new InvalidOperationException("Typed statements need a caching connection.");
        return new Stmt(this, Compiled(sql));
    }

    private sqlite3_stmt Compiled(string sql)
    {
        if (cache && _native.TryGetValue(sql, out var stmt)) return stmt;
        var db = Connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, sql, out stmt);
        SqliteException.ThrowExceptionForRC(rc, db);
        if (cache) _native[sql] = stmt;
        return stmt;
    }

    private sqlite3_stmt Native(string sql, object?[] args)
    {
        var stmt = Compiled(sql);
        try
        {
            BindAll(stmt, args);
        }
        catch
        {
            Release(stmt);
            throw;
        }

        return stmt;
    }

    private bool Step(sqlite3_stmt stmt)
    {
        var step = raw.sqlite3_step(stmt);
        if (step == raw.SQLITE_ROW) return true;
        if (step != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(step, Connection.Handle);
        return false;
    }

    // Cached statements are reset for the next call; a reader connection's statements die with the call.
    private void Release(sqlite3_stmt stmt)
    {
        if (cache) raw.sqlite3_reset(stmt);
        else stmt.Dispose();
    }

    private byte[] _utf8 = new byte[256];

    /// <summary>
    /// <paramref name="value"/> as UTF-8 in a buffer reused by every bind on this connection (SQLite copies bound text).
    /// </summary>
    public ReadOnlySpan<byte> Utf8(string value)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > _utf8.Length) _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        var n = System.Text.Encoding.UTF8.GetBytes(value, _utf8);
        return _utf8.AsSpan(0, n);
    }

    private void BindAll(sqlite3_stmt stmt, object?[] args)
    {
        var expected = raw.sqlite3_bind_parameter_count(stmt);
        if (expected != args.Length) throw new InvalidOperationException($"SQL expects {expected} arguments, got {args.Length}.");
        var s = new Stmt(this, stmt);
        for (var i = 0; i < args.Length; i++)
        {
            var index = i + 1;
            _ = args[i] switch
            {
                null => s.Null(index),
                string v => s.Bind(index, v),
                long v => s.Bind(index, v),
                int v => s.Bind(index, (long)v),
                bool v => s.Bind(index, v),
                double v => s.Bind(index, v),
                Guid v => s.Bind(index, v),
                DateTimeOffset v => s.Bind(index, v),
                TimeSpan v => s.Bind(index, v),
                var other => throw new ArgumentException($"Cannot bind a {other.GetType().Name}.", nameof(args)),
            };
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
        var stmt = Native(sql, args);
        try
        {
            Step(stmt);
            return raw.sqlite3_changes(Connection.Handle);
        }
        finally
        {
            Release(stmt);
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
