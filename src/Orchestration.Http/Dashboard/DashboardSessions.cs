using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Orchestration.Http.Dashboard;

/// <summary>A signed-in browser: the credential it presented stays here, on the server, never in the page or a cookie.</summary>
internal sealed record DashboardSession(string Id, string? Credential, string CsrfToken, DateTimeOffset ExpiresAt);

/// <summary>
/// Server-side dashboard sessions keyed by an opaque random id (the cookie's only content). The credential is
/// authenticated again on every request, so revoking or expiring the key ends its sessions at once. Sessions live in
/// this process: several hosts behind one address need sticky sessions, and a restart signs everyone out.
/// </summary>
internal sealed class DashboardSessions(TimeProvider time)
{
    /// <summary>How long a session lasts from sign-in, whatever its use.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    // Only a valid key can create a session, but a leaked one should not be able to fill the memory either.
    private const int MaxSessions = 10_000;

    private readonly ConcurrentDictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);

    public DashboardSession Create(string? credential)
    {
        var now = time.GetUtcNow();
        if (_sessions.Count >= MaxSessions) Prune(now);
        var session = new DashboardSession(NewToken(), credential, NewToken(), now + Lifetime);
        _sessions[session.Id] = session;
        return session;
    }

    public DashboardSession? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || !_sessions.TryGetValue(id, out var session)) return null;
        if (session.ExpiresAt > time.GetUtcNow()) return session;
        _sessions.TryRemove(id, out _);
        return null;
    }

    public void End(string id) => _sessions.TryRemove(id, out _);

    /// <summary>True when <paramref name="presented"/> is the session's CSRF token, compared in constant time.</summary>
    public static bool CsrfMatches(DashboardSession session, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(session.CsrfToken), System.Text.Encoding.UTF8.GetBytes(presented));

    private void Prune(DateTimeOffset now)
    {
        foreach (var (id, s) in _sessions)
            if (s.ExpiresAt <= now) _sessions.TryRemove(id, out _);
        // Still full of live sessions: the oldest go first.
        foreach (var s in _sessions.Values.OrderBy(s => s.ExpiresAt).Take(Math.Max(0, _sessions.Count - MaxSessions + 1)))
            _sessions.TryRemove(s.Id, out _);
    }

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
