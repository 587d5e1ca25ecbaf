using Orchestration.Http.Webhooks;

namespace Orchestration.Http.Tests.Webhooks;

/// <summary>Expected values were computed outside .NET with <c>openssl dgst -sha256 -hmac</c> (see docs/webhooks.md).</summary>
public sealed class WebhookSignatureTests
{
    [Test]
    public void Sign_PlainStringSecret_HmacOfUtf8KeyMatchesOpenssl()
    {
        // printf '%s' 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.1674087231.{"event":"workflow.completed"}' | openssl dgst -sha256 -hmac 'webhook_secret' -binary | base64
        var signature = WebhookSignature.Sign("webhook_secret", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231, """{"event":"workflow.completed"}""");

        Assert.That(signature, Is.EqualTo("v1,84B2HedU818Cz5uWUAGZ5x30Lu6HVbnxx4S83C3swps="));
    }

    [Test]
    public void Sign_WhsecSecret_KeyIsDecodedBase64AsStandardWebhooksSpecifies()
    {
        // The Standard Webhooks reference vector; also: openssl dgst -sha256 -mac HMAC -macopt hexkey:<decoded key> -binary | base64
        var signature = WebhookSignature.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}""");

        Assert.That(signature, Is.EqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    }

    [Test]
    public void Verify_WithinTolerance_AcceptsOnlyTheRightSignature()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1614265330);
        const string body = """{"test": 2432232314}""";
        var good = WebhookSignature.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 1614265330, body);

        Assert.That(WebhookSignature.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", "1614265330", "v1,bogus " + good, body, now, TimeSpan.FromMinutes(5)), Is.True);
        Assert.That(WebhookSignature.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_2", "1614265330", good, body, now, TimeSpan.FromMinutes(5)), Is.False, "another id");
        Assert.That(WebhookSignature.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", "1614265330", good, body + " ", now, TimeSpan.FromMinutes(5)), Is.False, "another body");
        Assert.That(WebhookSignature.Verify("other", "msg_1", "1614265330", good, body, now, TimeSpan.FromMinutes(5)), Is.False, "another secret");
    }

    [Test]
    public void Verify_TimestampOutsideTolerance_Refused()
    {
        const string body = "{}";
        var signature = WebhookSignature.Sign("s3cret", "msg_1", 1_000_000, body);

        Assert.That(WebhookSignature.Verify("s3cret", "msg_1", "1000000", signature, body, DateTimeOffset.FromUnixTimeSeconds(1_000_000 + 301), TimeSpan.FromMinutes(5)), Is.False);
        Assert.That(WebhookSignature.Verify("s3cret", "msg_1", "99999999999999999999", signature, body, DateTimeOffset.FromUnixTimeSeconds(1_000_000), TimeSpan.FromMinutes(5)), Is.False);
    }

    [TestCase("whsec_not base64!", "must be base64 after whsec_")]
    [TestCase("whsec_", "must not have an empty key after whsec_")]
    [TestCase("", "is required")]
    public void SecretProblem_BadSecret_Named(string secret, string problem) =>
        Assert.That(WebhookSignature.SecretProblem(secret), Is.EqualTo(problem));
}
