namespace Orchestration.Engine;

/// <summary>A limit on the tasks that share a concurrency key (see <see cref="EngineOptions.KeyLimits"/>).</summary>
public sealed class KeyLimit
{
    /// <summary>The key, or a key prefix followed by <c>*</c> (<c>"customer:*"</c>) to give every such key its own limit.</summary>
    public string Key { get; set; } = "";

    /// <summary>At most this many tasks with a matching key run at once, across every host sharing the store.</summary>
    public int MaxRunning { get; set; } = 1;
}
