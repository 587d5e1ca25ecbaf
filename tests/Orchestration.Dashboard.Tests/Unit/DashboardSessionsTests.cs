using Microsoft.Extensions.Time.Testing;
using Orchestration.Http.Dashboard;

namespace Orchestration.Dashboard.Tests.Unit;

public sealed class DashboardSessionsTests
{
    [Test]
    public void EndedReason_SessionEndedForARevokedKey_KeptForTheNextRequestThenForgotten()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var sessions = new DashboardSessions(time);
        var revoked = sessions.Create("key-1");
        var signedOut = sessions.Create("key-2");

        sessions.End(revoked.Id, "the API key has been revoked");
        sessions.End(signedOut.Id);

        Assert.That(sessions.Find(revoked.Id), Is.Null);
        Assert.That(sessions.EndedReason(revoked.Id), Is.EqualTo("the API key has been revoked"), "the page opened after the live stream found out still says why");
        Assert.That(sessions.EndedReason(signedOut.Id), Is.Null, "signing out is no reason to show");
        Assert.That(sessions.EndedReason(null), Is.Null);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.That(sessions.EndedReason(revoked.Id), Is.Null, "the reason is kept for ten minutes only");
    }
}
