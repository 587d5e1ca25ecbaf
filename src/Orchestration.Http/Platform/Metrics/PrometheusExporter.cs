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
    private readonly ConcurrentDictionary<Instrument, long> _counters = new();
    private readonly ConcurrentDictionary<Instrument, HistogramState> _histograms = new();

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != OrchestrationMetrics.MeterName) return;
            if (instrument is Counter<long>) _counters.TryAdd(instrument, 0);
            else if (instrument is Histogram<double>) _histograms.TryAdd(instrument, new HistogramState());
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _counters.AddOrUpdate(instrument, value, (_, old) => old + value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (_histograms.TryGetValue(instrument, out var state)) state.Record(value);
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

    private void RenderInstruments(StringBuilder text)
    {
        foreach (var (instrument, value) in _counters.OrderBy(c => c.Key.Name, StringComparer.Ordinal))
        {
            var name = Name(instrument) + "_total";
            Header(text, name, instrument.Description, "counter");
            text.Append(name).Append(' ').Append(Number(value)).Append('\n');
        }

        foreach (var (instrument, state) in _histograms.OrderBy(h => h.Key.Name, StringComparer.Ordinal))
        {
            var name = Name(instrument) + (instrument.Unit == "s" ? "_seconds" : "");
            Header(text, name, instrument.Description, "histogram");
            var (counts, sum, count) = state.Snapshot();
            for (var i = 0; i < Buckets.Length; i++)
                text.Append(name).Append("_bucket{le=\"").Append(Number(Buckets[i])).Append("\"} ").Append(Number(counts[i])).Append('\n');
            text.Append(name).Append("_bucket{le=\"+Inf\"} ").Append(Number(count)).Append('\n');
            text.Append(name).Append("_sum ").Append(Number(sum)).Append('\n');
            text.Append(name).Append("_count ").Append(Number(count)).Append('\n');
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

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

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
