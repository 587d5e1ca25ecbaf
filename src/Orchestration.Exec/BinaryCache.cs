using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Orchestration.Security;
using Orchestration.Execution;

namespace Orchestration.Exec;

/// <summary>
/// Content-addressed store of verified binaries: <c>&lt;cache&gt;/&lt;sha256&gt;</c>. A miss downloads the binary
/// (streamed to a temporary file while hashing, size-limited, redirects followed by hand and re-checked), and only a
/// file whose hash matches is renamed into place and made executable; a mismatch deletes the file and fails the task
/// for good. A hit is re-hashed before use unless <see cref="ExecOptions.VerifyCachedBinaries"/> is off.
/// </summary>
internal sealed partial class BinaryCache : IDisposable
{
    /// <summary>Redirect hops followed before a download fails.</summary>
    public const int MaxRedirects = 5;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerExecutable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly ExecOptions _options;
    private readonly GuardedConnector _connector;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    // One fetch per hash at a time in this process, so concurrent tasks of the same binary download it once.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public BinaryCache(ExecOptions options, GuardedConnector connector, TimeProvider time, ILogger<BinaryCache> logger)
    {
        _options = options;
        _connector = connector;
        _time = time;
        _logger = logger;
        _http = new HttpClient(connector.CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Returns the path of a verified, executable copy of the binary with hash <paramref name="sha256"/> (64 lowercase
    /// hex digits), downloading it from <paramref name="url"/> when the cache does not hold a good copy.
    /// </summary>
    public async Task<string> GetAsync(Uri url, string sha256, CancellationToken cancellationToken)
    {
        PrivateDirectory.Ensure(_options.CacheDirectory);
        var path = Path.Combine(_options.CacheDirectory, sha256);
        var gate = _gates.GetOrAdd(sha256, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path))
            {
                if (!_options.VerifyCachedBinaries) return path;
                var actual = await HashFileAsync(path, cancellationToken);
                if (actual == sha256) return path;
                LogCachedBinaryCorrupt(_logger, path, actual);
                TryDelete(path);
            }

            await DownloadAsync(url, sha256, path, cancellationToken);
            return path;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>SHA-256 of a file as lowercase hex.</summary>
    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>A URL safe to put in an error message: no user info, no query (pre-signed URLs carry credentials there).</summary>
    public static string Redact(Uri url) =>
        url.IsAbsoluteUri ? url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : "(relative URL)";

    public void Dispose() => _http.Dispose();

    private async Task DownloadAsync(Uri url, string expected, string finalPath, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.DownloadTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await SendFollowingRedirectsAsync(url, linked.Token);
            var status = (int)response.StatusCode;
            if (status is < 200 or > 299)
            {
                // A missing or forbidden binary will not appear on retry; server errors and throttling may pass.
                var retryable = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
                throw new TaskFailedException($"downloading {Redact(response.RequestMessage?.RequestUri ?? url)} failed: HTTP {status}", retryable);
            }

            if (response.Content.Headers.ContentLength is { } length && length > _options.MaxBinaryBytes)
                throw TooLarge();

            await StreamToCacheAsync(response, expected, finalPath, linked.Token);
            LogDownloaded(_logger, Redact(url), expected);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TaskFailedException($"downloading {Redact(url)} timed out after {_options.DownloadTimeout}");
        }
        catch (NetworkTargetRefusedException ex)
        {
            throw new TaskFailedException(ex.Message, retryable: false);
        }
        catch (HttpRequestException ex) when (FindRefusal(ex) is { } refusal)
        {
            throw new TaskFailedException(refusal.Message, retryable: false);
        }
        catch (HttpRequestException ex)
        {
            throw new TaskFailedException($"downloading {Redact(url)} failed: {ex.Message}", ex);
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // A connection dropped mid-body (HttpIOException) or a full disk: both may pass on another attempt.
            throw new TaskFailedException($"downloading {Redact(url)} failed: {ex.Message}", ex);
        }
    }

    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(Uri url, CancellationToken cancellationToken)
    {
        var current = url;
        for (var hop = 0; ; hop++)
        {
            CheckScheme(current);
            _connector.CheckHost(current);
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!IsRedirect(response.StatusCode)) return response;

            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
                throw new TaskFailedException($"downloading {Redact(current)} failed: redirect without a Location header", retryable: false);
            if (hop == MaxRedirects)
                throw new TaskFailedException($"downloading {Redact(url)} failed: more than {MaxRedirects} redirects", retryable: false);
            current = location.IsAbsoluteUri ? location : new Uri(current, location);
        }
    }

    private void CheckScheme(Uri url)
    {
        if (!url.IsAbsoluteUri || !_options.AllowedSchemes.Contains(url.Scheme))
        {
            var scheme = url.IsAbsoluteUri ? url.Scheme : "(none)";
            throw new TaskFailedException($"binary_url scheme '{scheme}' is not allowed; allowed: {string.Join(", ", _options.AllowedSchemes.Order(StringComparer.Ordinal))}", retryable: false);
        }
    }

    private async Task StreamToCacheAsync(HttpResponseMessage response, string expected, string finalPath, CancellationToken cancellationToken)
    {
        // The temporary name sits next to the final one so the rename stays on one file system and is atomic.
        var temp = Path.Combine(_options.CacheDirectory, $".{expected}.{Guid.NewGuid():N}.part");
        var placed = false;
        try
        {
            string actual;
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = OwnerReadWrite;
            await using (var file = new FileStream(temp, fileOptions))
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += read;
                    // Enforced while streaming: Content-Length may be absent (chunked) or wrong.
                    if (total > _options.MaxBinaryBytes) throw TooLarge();
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            if (actual != expected)
                throw new TaskFailedException($"sha256 mismatch: expected {expected}, got {actual}", retryable: false);

            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, OwnerExecutable);
            File.Move(temp, finalPath, overwrite: true);
            placed = true;
        }
        finally
        {
            if (!placed) TryDelete(temp);
        }
    }

    private TaskFailedException TooLarge() =>
        new($"binary is larger than the limit of {_options.MaxBinaryBytes} bytes (Exec.MaxBinaryBytes)", retryable: false);

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static NetworkTargetRefusedException? FindRefusal(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is NetworkTargetRefusedException refusal) return refusal;
        return null;
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogDeleteFailed(_logger, ex, path);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloaded and verified {Url} (sha256 {Sha256})")]
    private static partial void LogDownloaded(ILogger logger, string url, string sha256);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cached binary {Path} hashes to {Actual}; deleting it and downloading again")]
    private static partial void LogCachedBinaryCorrupt(ILogger logger, string path, string actual);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete {Path}")]
    private static partial void LogDeleteFailed(ILogger logger, Exception ex, string path);
}
