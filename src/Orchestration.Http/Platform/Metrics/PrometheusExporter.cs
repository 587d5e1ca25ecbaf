using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Orchestration.Diagnostics;

namespace Orchestration.Http.Platform.Metrics;

/// <summary>
/// Listens to the <c>Orchestration</c> meter and renders what it heard in the Prometheus text format (0.0.4).
/// Counters become <c>_total</c> series and histograms cumulative buckets; written by hand because the exporter
/// packages on offer pull in a whole telemetry SDK for a page of text.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] Buckets = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600];

    private readonly MeterListener _listener = new();
    // One series per instrument and label set; "" is the series without labels.
    private readonly ConcurrentDictionary<(Instrument Instrument, string Labels), CounterSeries> _counters = new();
    private readonly ConcurrentDictionary<(Instrument Instrument, string Labels), HistogramState> _histograms = new();

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != OrchestrationMetrics.MeterName) return;
            if (instrument is Counter<long>) _counters.TryAdd((instrument, ""), new CounterSeries([]));
            else if (instrument is Histogram<double>) _histograms.TryAdd((instrument, ""), new HistogramState());
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var labels = tags.IsEmpty ? "" : Labels(tags);
            var series = labels.Length == 0 && _counters.TryGetValue((instrument, ""), out var plain)
                ? plain
                : _counters.GetOrAdd((instrument, labels), static (_, t) => new CounterSeries(t), Tags(tags));
            series.Add(value);
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var labels = tags.IsEmpty ? "" : Labels(tags);
            // Labelled series (the handler duration by task type) are made on first use, like a counter's.
            var state = labels.Length == 0 && _histograms.TryGetValue((instrument, ""), out var plain) ? plain : _histograms.GetOrAdd((instrument, labels), _ => new HistogramState());
            state.Record(value);
        });
        _listener.Start();
        // Published on first use otherwise; touched here so the job queue's counter shows from the first scrape, as
        // the engine's do once the engine has run.
        _ = JobQueueMetrics.JobsSubmitted;
    }

    /// <summary>
    /// The exposition text; <paramref name="gauges"/> are point-in-time values computed by the caller at scrape time.
    /// <paramref name="processWide"/> adds the counters and histograms, which sum every org's work.
    /// </summary>
    public string Render(bool processWide, IEnumerable<(string Name, string Help, IReadOnlyList<(string Labels, double Value)> Samples)> gauges)
    {
        var text = new StringBuilder();
        if (processWide) RenderInstruments(text);

        foreach (var (name, help, samples) in gauges)
        {
            Header(text, name, help, "gauge");
            foreach (var (labels, value) in samples) text.Append(name).Append(labels).Append(' ').Append(Number(value)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The series of one counter (by instrument name, e.g. <c>orchestration.retention.runs.deleted</c>) with their tags.</summary>
    public IReadOnlyList<(IReadOnlyList<KeyValuePair<string, string>> Tags, long Value)> Counter(string instrumentName) =>
        _counters.Where(c => c.Key.Instrument.Name == instrumentName)
            .OrderBy(c => c.Key.Labels, StringComparer.Ordinal)
            .Select(c => ((IReadOnlyList<KeyValuePair<string, string>>)c.Value.Tags, c.Value.Value))
            .ToList();

    private void RenderInstruments(StringBuilder text)
    {
        foreach (var counter in _counters.GroupBy(c => c.Key.Instrument).OrderBy(g => g.Key.Name, StringComparer.Ordinal))
        {
            var name = Name(counter.Key) + "_total";
            Header(text, name, counter.Key.Description, "counter");
            var labelled = counter.Any(c => c.Key.Labels.Length > 0);
            foreach (var ((_, labels), series) in counter.OrderBy(c => c.Key.Labels, StringComparer.Ordinal))
            {
                // The unlabelled zero a tagged counter starts with says nothing once labelled series exist.
                if (labels.Length == 0 && labelled && series.Value == 0) continue;
                text.Append(name).Append(labels).Append(' ').Append(Number(series.Value)).Append('\n');
            }
        }

        foreach (var histogram in _histograms.GroupBy(h => h.Key.Instrument).OrderBy(g => g.Key.Name, StringComparer.Ordinal))
        {
            var instrument = histogram.Key;
            var name = Name(instrument) + (instrument.Unit == "s" ? "_seconds" : "");
            Header(text, name, instrument.Description, "histogram");
            var labelled = histogram.Any(h => h.Key.Labels.Length > 0);
            foreach (var ((_, labels), state) in histogram.OrderBy(h => h.Key.Labels, StringComparer.Ordinal))
            {
                var (counts, sum, count) = state.Snapshot();
                // As for counters: the empty unlabelled series says nothing once labelled ones exist.
                if (labels.Length == 0 && labelled && count == 0) continue;
                // {a="x"} becomes {a="x",le="..."}; the bare series gets {le="..."}.
                var open = labels.Length == 0 ? "{" : labels[..^1] + ",";
                for (var i = 0; i < Buckets.Length; i++)
                    text.Append(name).Append("_bucket").Append(open).Append("le=\"").Append(Number(Buckets[i])).Append("\"} ").Append(Number(counts[i])).Append('\n');
                text.Append(name).Append("_bucket").Append(open).Append("le=\"+Inf\"} ").Append(Number(count)).Append('\n');
                text.Append(name).Append("_sum").Append(labels).Append(' ').Append(Number(sum)).Append('\n');
                text.Append(name).Append("_count").Append(labels).Append(' ').Append(Number(count)).Append('\n');
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    private static string Name(Instrument instrument) => instrument.Name.Replace('.', '_');

    private static void Header(StringBuilder text, string name, string? help, string type)
    {
        var escaped = (help ?? name).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        text.Append("# HELP ").Append(name).Append(' ').Append(escaped).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    private static KeyValuePair<string, string>[] Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new KeyValuePair<string, string>[tags.Length];
        for (var i = 0; i < tags.Length; i++) result[i] = new(tags[i].Key, Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "");
        Array.Sort(result, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return result;
    }

    // {key="value",...} sorted by key, values escaped as the text format asks.
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var text = new StringBuilder("{");
        foreach (var (key, value) in Tags(tags))
        {
            if (text.Length > 1) text.Append(',');
            text.Append(key.Replace('.', '_')).Append("=\"")
                .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal))
                .Append('"');
        }

        return text.Append('}').ToString();
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class CounterSeries(KeyValuePair<string, string>[] tags)
    {
        private long _value;

        public KeyValuePair<string, string>[] Tags { get; } = tags;

        public long Value => Interlocked.Read(ref _value);

        public void Add(long value) => Interlocked.Add(ref _value, value);
    }

    private sealed class HistogramState
    {
        private readonly Lock _gate = new();
        private readonly long[] _counts = new long[Buckets.Length];
        private double _sum;
        private long _count;

        public void Record(double value)
        {
            lock (_gate)
            {
                for (var i = 0; i < Buckets.Length; i++)
                    if (value <= Buckets[i]) _counts[i]++;
                _sum += value;
                _count++;
            }
        }

        public (long[] Counts, double Sum, long Count) Snapshot()
        {
            lock (_gate) return (_counts.ToArray(), _sum, _count);
        }
    }
}
