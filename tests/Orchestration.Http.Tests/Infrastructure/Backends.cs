namespace Orchestration.Http.Tests.Infrastructure;

/// <summary>
/// A store the HTTP tests run against. Every API fixture runs once per entry of <see cref="ApiBackends.All"/>, so adding a back end
/// here runs every HTTP case on it.
/// </summary>
public sealed record ApiBackend(string Name, Func<string, IReadOnlyDictionary<string, string?>> Settings)
{
    public override string ToString() => Name;
}

public static class ApiBackends
{
    public static IEnumerable<ApiBackend> All()
    {
        yield return new ApiBackend("InMemory", _ => new Dictionary<string, string?> { ["Orchestration:Storage"] = "inmemory" });
    }
}
