using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Orchestration.EndToEnd.Tests.Jobs;

/// <summary>Serves small test scripts on 127.0.0.1 for executors to download.</summary>
internal sealed class BinaryServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Task _loop;

    public BinaryServer()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>Serves a shell script; returns its URL and SHA-256.</summary>
    public (string Url, string Sha256) Script(string name, string body)
    {
        var bytes = Encoding.UTF8.GetBytes("#!/bin/sh\n" + body + "\n");
        _files["/" + name] = bytes;
        return ($"http://127.0.0.1:{Port}/{name}", Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            if (_files.TryGetValue(ctx.Request.Url!.AbsolutePath, out var bytes))
            {
                ctx.Response.ContentType = "application/octet-stream";
                ctx.Response.ContentLength64 = bytes.Length;
                await ctx.Response.OutputStream.WriteAsync(bytes);
            }
            else
            {
                ctx.Response.StatusCode = 404;
            }

            ctx.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
