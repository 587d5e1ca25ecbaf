namespace Orchestration.Engine;

/// <summary>Input the engine refuses (bad graph, bad policy). The message says what to fix; HTTP layers answer 400 with it.</summary>
public sealed class OrchestrationValidationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OrchestrationValidationException(string message, string? field = null) : base(message) => Field = field;

    /// <summary>Creates the exception.</summary>
    public OrchestrationValidationException() : base("invalid input") { }

    /// <summary>Creates the exception.</summary>
    public OrchestrationValidationException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The offending field, when one can be named.</summary>
    public string? Field { get; }
}
