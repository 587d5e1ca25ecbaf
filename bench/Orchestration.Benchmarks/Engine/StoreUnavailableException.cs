namespace Orchestration.Benchmarks.Engine;

/// <summary>A back end (or the Postgres server) is not available, so the scenario reports a gap instead of a number.</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message) : base(message) { }
    public StoreUnavailableException() : this("store not available") { }
    public StoreUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
