using System.Buffers.Text;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Orchestration.Sqlite;

/// <summary>
/// One row of a native statement, read column by column straight from SQLite. The ADO.NET reader checks types and
/// converts through several layers per value; the store reads tens of columns per task, so reads go here instead.
/// Valid only until the statement steps again.
/// </summary>
internal readonly struct Row(sqlite3_stmt stmt)
{
    public bool IsDBNull(int i) => raw.sqlite3_column_type(stmt, i) == raw.SQLITE_NULL;

    public long GetInt64(int i) => raw.sqlite3_column_int64(stmt, i);

    public int GetInt32(int i) => raw.sqlite3_column_int(stmt, i);

    public double GetDouble(int i) => raw.sqlite3_column_double(stmt, i);

    public bool GetBoolean(int i) => raw.sqlite3_column_int64(stmt, i) != 0;

    public string GetString(int i)
    {
        var bytes = raw.sqlite3_column_blob(stmt, i);
        return bytes.IsEmpty ? "" : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The column's text as UTF-8, without a copy; empty for NULL.</summary>
    public ReadOnlySpan<byte> GetUtf8(int i) => raw.sqlite3_column_blob(stmt, i);

    /// <summary>A 36-character id column, parsed from its UTF-8 bytes without an intermediate string.</summary>
    public Guid GetGuid(int i)
    {
        var bytes = raw.sqlite3_column_blob(stmt, i);
        if (bytes.Length == 36 && Utf8Parser.TryParse(bytes, out Guid id, out var consumed, 'D') && consumed == 36) return id;
        throw new FormatException($"Column {i} does not hold a 36-character id.");
    }
}

/// <summary>
/// A compiled statement with typed binds (no boxing, ids and texts encoded to UTF-8 in a reused buffer). Obtained from
/// <see cref="SqliteCommands.Statement"/>; bind by 1-based position, then <see cref="Exec"/>, which resets it for reuse.
/// </summary>
internal readonly struct Stmt(SqliteCommands owner, sqlite3_stmt stmt)
{
    public Stmt Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(stmt, index, value));
        return this;
    }

    public Stmt Bind(int index, int value) => Bind(index, (long)value);

    public Stmt Bind(int index, long? value) => value is { } v ? Bind(index, v) : Null(index);

    public Stmt Bind(int index, int? value) => value is { } v ? Bind(index, (long)v) : Null(index);

    public Stmt Bind(int index, bool value) => Bind(index, value ? 1L : 0L);

    public Stmt Bind(int index, double value)
    {
        Check(raw.sqlite3_bind_double(stmt, index, value));
        return this;
    }

    public Stmt Bind(int index, DateTimeOffset value) => Bind(index, value.UtcTicks);

    public Stmt Bind(int index, DateTimeOffset? value) => value is { } v ? Bind(index, v.UtcTicks) : Null(index);

    public Stmt Bind(int index, TimeSpan value) => Bind(index, value.Ticks);

    public Stmt Bind(int index, TimeSpan? value) => value is { } v ? Bind(index, v.Ticks) : Null(index);

    public Stmt Bind(int index, Guid value)
    {
        Span<byte> text = stackalloc byte[36];
        value.TryFormat(text, out _, "D");
        Check(raw.sqlite3_bind_text(stmt, index, text));
        return this;
    }

    public Stmt Bind(int index, Guid? value) => value is { } v ? Bind(index, v) : Null(index);

    public Stmt Bind(int index, string? value)
    {
        if (value is null) return Null(index);
        Check(raw.sqlite3_bind_text(stmt, index, owner.Utf8(value)));
        return this;
    }

    /// <summary>Text already encoded as UTF-8 (SQLite copies it).</summary>
    public Stmt BindUtf8(int index, ReadOnlySpan<byte> value)
    {
        Check(raw.sqlite3_bind_text(stmt, index, value));
        return this;
    }

    public Stmt Null(int index)
    {
        Check(raw.sqlite3_bind_null(stmt, index));
        return this;
    }

    /// <summary>Runs the statement to completion and resets it; returns the rows changed.</summary>
    public int Exec()
    {
        try
        {
            var step = raw.sqlite3_step(stmt);
            if (step != raw.SQLITE_DONE && step != raw.SQLITE_ROW) SqliteException.ThrowExceptionForRC(step, owner.Connection.Handle);
            return raw.sqlite3_changes(owner.Connection.Handle);
        }
        finally
        {
            raw.sqlite3_reset(stmt);
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, owner.Connection.Handle);
    }
}
