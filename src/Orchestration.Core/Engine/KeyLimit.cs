namespace Orchestration.Engine;

/// <summary>
/// A limit on the tasks that share a concurrency key (see <see cref="EngineOptions.KeyLimits"/>): how many run at once,
/// how many start per window, or both (a task is claimed only when both have room).
/// </summary>
public sealed class KeyLimit
{
    /// <summary>The key, or a key prefix followed by <c>*</c> (<c>"customer:*"</c>) to give every such key its own limit.</summary>
    public string Key { get; set; } = "";

    /// <summary>
    /// At most this many tasks with a matching key run at once, across every host sharing the store. Null: no limit on
    /// running tasks when <see cref="MaxStarts"/> is set, else 1 (an entry that names only a key has always meant one).
    /// </summary>
    public int? MaxRunning { get; set; }

    /// <summary>
    /// At most this many tasks with a matching key start (are claimed) per <see cref="Window"/>, across every host
    /// sharing the store. Windows are fixed and aligned to the Unix epoch; retries and re-claims count as starts.
    /// </summary>
    public int? MaxStarts { get; set; }

    /// <summary>The length of a rate window for <see cref="MaxStarts"/>: from one second to one day, in whole milliseconds.</summary>
    public TimeSpan? Window { get; set; }
}
