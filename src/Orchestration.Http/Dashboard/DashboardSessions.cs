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

    private static readonly TimeSpan EndedReasonKept = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Reason, DateTimeOffset Until)> _ended = new(StringComparer.Ordinal);

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

    /// <summary>
    /// Ends a session. With a <paramref name="reason"/> (its key was revoked or expired), the reason is kept for a while,
    /// so the next page the browser opens with the same cookie can say why it is signed out, even when another request
    /// of the page (the live stream) was the one that found out.
    /// </summary>
    public void End(string id, string? reason = null)
    {
        _sessions.TryRemove(id, out _);
        if (reason is null) return;
        var now = time.GetUtcNow();
        if (_ended.Count >= MaxSessions)
        {
            foreach (var (endedId, ended) in _ended)
                if (ended.Until <= now) _ended.TryRemove(endedId, out _);
            if (_ended.Count >= MaxSessions) _ended.Clear();
        }

        _ended[id] = (reason, now + EndedReasonKept);
    }

    /// <summary>Why the session behind this cookie ended, when it ended for a reason recently; otherwise null.</summary>
    public string? EndedReason(string? id) =>
        !string.IsNullOrEmpty(id) && _ended.TryGetValue(id, out var ended) && ended.Until > time.GetUtcNow() ? ended.Reason : null;

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
