using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>
/// A large artifact through a real Kestrel on 127.0.0.1: a chunked upload and a download, each hashed as it streams,
/// while the process allocates far less than the artifact's size (nothing buffers it whole).
/// </summary>
[NonParallelizable]
public sealed class ArtifactStreamingTests
{
    // ORCHESTRATION_ARTIFACT_TEST_MIB runs the same check at another size by hand (the 200 MiB figure in docs/artifacts.md).
    private static readonly long Size = (long.TryParse(Environment.GetEnvironmentVariable("ORCHESTRATION_ARTIFACT_TEST_MIB"), out var mib) ? mib : 64) * 1024 * 1024;

    [Test]
    public async Task UploadAndDownload_LargeChunked_Sha256IntactAndAllocationsFarBelowSize()
    {
        var root = Path.Combine(Path.GetTempPath(), "orchestration-artifacts-" + Guid.NewGuid().ToString("N"));
        await using var factory = new ApiFactory(ApiBackends.Sqlite, new Dictionary<string, string?>
        {
            ["Orchestration:Artifacts:RootPath"] = root,
            ["Orchestration:Artifacts:MaxArtifactBytes"] = (Size * 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        factory.UseKestrel(0);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiFactory.BootstrapKey);
        try
        {
            // Warm up the host and the code paths so the measurement is of the transfer, not of JIT and start-up.
            await TransferAsync(client, 1024 * 1024);
            GC.Collect();
            var before = GC.GetTotalAllocatedBytes(precise: true);

            var (sent, received) = await TransferAsync(client, Size);

            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            await TestContext.Out.WriteLineAsync(
                $"{Size >> 20} MiB upload and download allocated {allocated / 1024 / 1024.0:F1} MiB; peak working set {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MiB");
            Assert.That(received, Is.EqualTo(sent), "the sha256 survives the round trip");
            Assert.That(allocated, Is.LessThan(Size / 4), "upload and download stream: the process never holds the artifact");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<(string Sent, string Received)> TransferAsync(HttpClient client, long size)
    {
        var source = new GeneratedStream(size);
        // No length: the body goes chunked, so only the server's own limit stands between it and the disk.
        using var content = new StreamContent(source, 64 * 1024);
        using var upload = await client.PostAsync("/api/artifacts?name=big.bin", content);
        var created = await upload.Content.ReadAsStringAsync();
        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.Created), created);
        var id = System.Text.Json.Nodes.JsonNode.Parse(created).Str("id");
        Assert.That(System.Text.Json.Nodes.JsonNode.Parse(created).Str("sha256"), Is.EqualTo(source.Sha256()));

        using var download = await client.GetAsync($"/api/artifacts/{id}/download", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await download.Content.ReadAsStreamAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0) hash.AppendData(buffer, 0, read);
        return (source.Sha256(), Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>Deterministic pseudo-random bytes, hashed as they are read; never held.</summary>
    private sealed class GeneratedStream(long length) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _position;
        private ulong _state = 0x9E3779B97F4A7C15;
        private string? _sha;

        // Taken when the last byte is read: the HTTP handler disposes the stream once it has sent it.
        public string Sha256() => _sha ?? throw new InvalidOperationException("the stream was not read to its end");

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            for (var i = 0; i < n; i++)
            {
                _state ^= _state << 13;
                _state ^= _state >> 7;
                _state ^= _state << 17;
                buffer[i] = (byte)_state;
            }

            _hash.AppendData(buffer[..n]);
            _position += n;
            if (_position == length) _sha ??= Convert.ToHexStringLower(_hash.GetHashAndReset());
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
