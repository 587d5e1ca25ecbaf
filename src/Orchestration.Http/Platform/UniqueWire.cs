using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Http.Platform;

/// <summary>
/// Unique work on the wire, shared by the families: the <c>Idempotency-Key</c> header (a retry-safe create: the key
/// returns its run for as long as the run is kept) and the fields of a unique rule, each family naming them in its own
/// JSON style. Problems are reported through the family's own error factory.
/// </summary>
internal static class UniqueWire
{
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>The request's <c>Idempotency-Key</c>, or null without one.</summary>
    public static string? IdempotencyKey(HttpContext context, LimitOptions limits, Func<string, string, Exception> invalid)
    {
        var values = context.Request.Headers[IdempotencyHeader];
        if (values.Count == 0) return null;
        if (values.Count > 1) throw invalid(IdempotencyHeader, "must be given once");
        var key = values[0];
        if (string.IsNullOrEmpty(key)) throw invalid(IdempotencyHeader, "must not be empty");
        if (limits.IdentifierProblem(key) is { } problem) throw invalid(IdempotencyHeader, problem);
        return key;
    }

    /// <summary>
    /// The rule the fields describe, or null without a key (the other fields then must be absent). <paramref name="names"/>
    /// gives the family's field names; <paramref name="nameScope"/> is the word the family uses for a per-name scope.
    /// </summary>
    public static UniqueRule? Rule(string? key, string? scope, IReadOnlyList<string?>? states, TimeSpan? window, string? onDuplicate,
        UniqueFieldNames names, string nameScope, LimitOptions limits, Func<string, string, Exception> invalid)
    {
        if (key is null)
        {
            if (scope is not null || states is not null || window is not null || onDuplicate is not null)
                throw invalid(names.Key, "is required with the other unique fields");
            return null;
        }

        if (key.Length == 0) throw invalid(names.Key, "must not be empty");
        if (limits.IdentifierProblem(key) is { } problem) throw invalid(names.Key, problem);

        var parsedScope = scope switch
        {
            null or "org" => UniqueScope.Org,
            _ when scope == nameScope => UniqueScope.Name,
            _ => throw invalid(names.Scope, $"must be org or {nameScope}"),
        };

        var parsedStates = UniqueStates.Unfinished;
        if (states is not null)
        {
            if (states.Count > 5) throw invalid(names.States, "must list at most 5 states");
            parsedStates = UniqueStates.None;
            foreach (var s in states)
            {
                if (s is null || !StatusNames.TryParseRunStatus(s, out var status))
                    throw invalid(names.States, "must list states among pending, running, completed, failed, cancelled");
                parsedStates |= UniqueRule.StateOf(status);
            }
        }

        if (window is { } w && (w < TimeSpan.Zero || w > MaxWindow)) throw invalid(names.Window, $"must be between 0 and {MaxWindow.TotalDays:0} days");

        var parsedOnDuplicate = onDuplicate switch
        {
            null or "return_existing" or "returnExisting" => OnDuplicate.ReturnExisting,
            "conflict" => OnDuplicate.Conflict,
            _ => throw invalid(names.OnDuplicate, "must be return_existing or conflict"),
        };

        return new UniqueRule { Key = key, Scope = parsedScope, States = parsedStates, Window = window, OnDuplicate = parsedOnDuplicate };
    }

    /// <summary>Longest window accepted on the wire: 30 days.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(30);

    /// <summary>The 409 message: names the key and the run that holds it.</summary>
    public static string ConflictMessage(UniqueConflictException e) => $"unique key '{e.Key}' is held by run {e.ExistingRun?.Id}";
}

/// <summary>A family's names for the unique rule's fields, used in its error messages.</summary>
internal sealed record UniqueFieldNames(string Key, string Scope, string States, string Window, string OnDuplicate);
