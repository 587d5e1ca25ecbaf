using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orchestration.Exec.Tests;

/// <summary>A Kestrel server on 127.0.0.1 (random port) that serves test binaries and redirects, and counts requests per path.</summary>
internal sealed class TestBinaryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _hits = new(StringComparer.Ordinal);

    private TestBinaryServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public int Port => BaseAddress.Port;

    public static async Task<TestBinaryServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new TestBinaryServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>Serves <paramref name="content"/> at <paramref name="path"/>; chunked leaves out Content-Length.</summary>
    public Uri Serve(string path, byte[] content, bool chunked = false)
    {
        _routes[path] = async ctx =>
        {
            ctx.Response.ContentType = "application/octet-stream";
            if (!chunked) ctx.Response.ContentLength = content.Length;
            await ctx.Response.Body.WriteAsync(content);
        };
        return new Uri(BaseAddress, path);
    }

    /// <summary>Answers <paramref name="path"/> with a redirect to <paramref name="location"/>.</summary>
    public Uri Redirect(string path, string location, int status = StatusCodes.Status302Found)
    {
        _routes[path] = ctx =>
        {
            ctx.Response.StatusCode = status;
            ctx.Response.Headers.Location = location;
            return Task.CompletedTask;
        };
        return new Uri(BaseAddress, path);
    }

    /// <summary>Answers <paramref name="path"/> with a bare status code.</summary>
    public Uri Status(string path, int status)
    {
        _routes[path] = ctx =>
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        };
        return new Uri(BaseAddress, path);
    }

    /// <summary>Sends headers and a few bytes at <paramref name="path"/>, then stalls until the client goes away.</summary>
    public Uri Stall(string path)
    {
        _routes[path] = async ctx =>
        {
            ctx.Response.ContentLength = 1000;
            await ctx.Response.Body.WriteAsync("#!/bin/sh\n"u8.ToArray());
            await ctx.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up, which is what the test wants.
            }
        };
        return new Uri(BaseAddress, path);
    }

    public int Hits(string path) => _hits.TryGetValue(path, out var n) ? n : 0;

    public int TotalHits => _hits.Values.Sum();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _hits.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (_routes.TryGetValue(path, out var route)) return route(context);
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}

/// <summary>Shell scripts used as test binaries.</summary>
internal static class TestScripts
{
    public static byte[] Script(string body) => Encoding.UTF8.GetBytes("#!/bin/sh\n" + body.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
