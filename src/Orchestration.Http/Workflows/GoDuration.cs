using System.Globalization;
using System.Text;

namespace Orchestration.Http.Workflows;

/// <summary>
/// Go-style durations as FlowCtl's API reference writes them ("10ms", "1s", "5m", "1h", "1h30m"). Stricter than Go's
/// <c>time.ParseDuration</c> on purpose: whole numbers only, units ms, s, m and h, each unit at most once and from the
/// largest down, no sign, at most <see cref="Max"/>. Formatting writes the same shape back, so a value reads back as
/// it was sent when it was sent in that shape.
/// </summary>
internal static class GoDuration
{
    /// <summary>Longest duration accepted anywhere in the family: 30 days, far below any overflow.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(30);

    /// <summary>Longest text considered; anything longer is refused before it is scanned.</summary>
    private const int MaxLength = 32;

    private static readonly (string Unit, long Ms)[] Units = [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];

    /// <summary>Parses <paramref name="text"/>; false with a reason for anything else.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string? problem)
    {
        value = TimeSpan.Zero;
        problem = null;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
        {
            problem = "must be a duration such as \"10ms\", \"1s\", \"5m\", \"1h\" or \"1h30m\"";
            return false;
        }

        long total = 0;
        var pos = 0;
        var lastUnit = -1;
        while (pos < text.Length)
        {
            var start = pos;
            while (pos < text.Length && char.IsAsciiDigit(text[pos])) pos++;
            if (pos == start || pos - start > 9) return Fail(out problem);
            var number = long.Parse(text.AsSpan(start, pos - start), NumberStyles.None, CultureInfo.InvariantCulture);

            var unit = -1;
            for (var u = 0; u < Units.Length; u++)
            {
                // "ms" before "m": the longer unit wins when both match.
                var name = Units[u].Unit;
                if (string.CompareOrdinal(text, pos, name, 0, name.Length) == 0 && (unit < 0 || name.Length > Units[unit].Unit.Length)) unit = u;
            }

            if (unit < 0 || unit <= lastUnit) return Fail(out problem);
            lastUnit = unit;
            pos += Units[unit].Unit.Length;
            total += number * Units[unit].Ms;
            if (total > (long)Max.TotalMilliseconds)
            {
                problem = $"must be at most {Format(Max)}";
                return false;
            }
        }

        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    /// <summary>"1h30m", "5m", "1s", "10ms", "0s"; whole milliseconds.</summary>
    public static string Format(TimeSpan value)
    {
        var ms = (long)value.TotalMilliseconds;
        if (ms <= 0) return "0s";
        var text = new StringBuilder();
        foreach (var (unit, size) in Units)
        {
            if (ms < size) continue;
            text.Append((ms / size).ToString(CultureInfo.InvariantCulture)).Append(unit);
            ms %= size;
        }

        return text.ToString();
    }

    private static bool Fail(out string? problem)
    {
        problem = "must be a duration such as \"10ms\", \"1s\", \"5m\", \"1h\" or \"1h30m\"";
        return false;
    }
}
