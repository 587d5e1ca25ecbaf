using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestration.Http.Tests.Infrastructure;

/// <summary>Small helpers for JSON requests and responses.</summary>
public static class Http
{
    public static StringContent Body(object body) =>
        new(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    public static async Task<(HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response)> SendAsync(this HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = Body(body);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json") json = JsonNode.Parse(text);
        return (response.StatusCode, json, response);
    }

    public static Task<(HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response)> GetJsonAsync(this HttpClient client, string url) =>
        client.SendAsync(HttpMethod.Get, url);

    public static Task<(HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response)> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.SendAsync(HttpMethod.Post, url, body);

    public static Task<(HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response)> PatchJsonAsync(this HttpClient client, string url, object body) =>
        client.SendAsync(HttpMethod.Patch, url, body);

    public static Task<(HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response)> DeleteJsonAsync(this HttpClient client, string url) =>
        client.SendAsync(HttpMethod.Delete, url);

    public static string Str(this JsonNode? node, string property) =>
        node?[property]?.GetValue<string>() ?? throw new AssertionException($"no string '{property}' in {node?.ToJsonString()}");
}
