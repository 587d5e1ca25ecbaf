using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Orchestration.Sqlite;

/// <summary>
/// Builds a JSON array of rows (arrays of scalars) that one statement expands with <c>json_each</c>: a batch of any size
/// becomes one prepared statement execution instead of one per row.
/// </summary>
// The writer only wraps an in-memory buffer (nothing to release early), and Build disposes it.
#pragma warning disable CA1001
internal sealed class JsonRows
#pragma warning restore CA1001
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer;

    public JsonRows()
    {
        _writer = new Utf8JsonWriter(_buffer);
        _writer.WriteStartArray();
    }

    public int Count { get; private set; }

    private bool _inRow;

    public JsonRows Row()
    {
        if (_inRow) _writer.WriteEndArray();
        _inRow = true;
        _writer.WriteStartArray();
        Count++;
        return this;
    }

    /// <summary>Adds a top-level scalar instead of a row: the array becomes a flat id list for <c>json_each(...).value</c>.</summary>
    public JsonRows Value(Guid value)
    {
        Span<byte> text = stackalloc byte[36];
        value.TryFormat(text, out _, "D");
        _writer.WriteStringValue(text);
        Count++;
        return this;
    }

    public JsonRows Add(string? value)
    {
        if (value is null) _writer.WriteNullValue();
        else _writer.WriteStringValue(value);
        return this;
    }

    public JsonRows Add(Guid value)
    {
        _writer.WriteStringValue(value.ToString("D"));
        return this;
    }

    public JsonRows Add(Guid? value) => value is { } v ? Add(v) : Add((string?)null);

    public JsonRows Add(long value)
    {
        _writer.WriteNumberValue(value);
        return this;
    }

    public JsonRows Add(long? value)
    {
        if (value is { } v) _writer.WriteNumberValue(v);
        else _writer.WriteNullValue();
        return this;
    }

    public JsonRows Add(double value)
    {
        _writer.WriteNumberValue(value);
        return this;
    }

    public JsonRows Add(bool value) => Add(value ? 1L : 0L);

    public JsonRows Add(DateTimeOffset value) => Add(value.UtcTicks);

    public JsonRows Add(DateTimeOffset? value) => Add(value?.UtcTicks);

    /// <summary>Closes the array and returns it; call once.</summary>
    public string Build()
    {
        if (_inRow) _writer.WriteEndArray();
        _writer.WriteEndArray();
        _writer.Dispose();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }
}
