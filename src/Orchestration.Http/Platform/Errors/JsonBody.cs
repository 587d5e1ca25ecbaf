using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Orchestration.Http.Platform.Errors;

/// <summary>
/// Reads request bodies for every family. Endpoints read bodies themselves instead of using parameter binding so auth,
/// rate limiting and permissions run first, and so malformed or oversized bodies get the platform's error body.
/// </summary>
internal static class JsonBody
{
    /// <summary>
    /// Reads and deserialises the body. Throws <see cref="ApiException"/>: 413 over the configured limit, 400 for an
    /// empty body, text that is not valid UTF-8 (raw bytes, or a <c>\u</c> escape of a lone surrogate), malformed JSON
    /// or a value of the wrong type.
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpContext context, JsonSerializerOptions options) where T : class
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<OrchestrationHttpOptions>>().Value.Http.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit) throw TooLarge(limit);

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            // Counted here as well as by the server: chunked bodies carry no Content-Length and test servers enforce nothing.
            if (buffer.Length + read > limit) throw TooLarge(limit);
            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0) throw new ApiException(StatusCodes.Status400BadRequest, "Request body is required");
        if (InvalidText(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), options) is { } problem)
            throw new ApiException(StatusCodes.Status400BadRequest, problem);

        buffer.Position = 0;
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(buffer, options);
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            // Conversion failures carry .NET type names in their message; only the path goes on the wire.
            var what = e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) ? "Invalid value" : "Malformed JSON";
            throw new ApiException(StatusCodes.Status400BadRequest, $"{what}{where}");
        }

        return value ?? throw new ApiException(StatusCodes.Status400BadRequest, "Request body must be a JSON object");
    }

    /// <summary>
    /// Checked before anything is deserialised, so nothing that fails it reaches a store. Payloads are kept as raw JSON
    /// text, escapes included: an escaped lone surrogate would be stored as is and then break every response that
    /// writes it out (Postgres refuses it outright), so text is refused here rather than at each write or read.
    /// </summary>
    internal static string? InvalidText(ReadOnlySpan<byte> body, JsonSerializerOptions options)
    {
        if (!Utf8.IsValid(body)) return "Request body is not valid UTF-8";
        var reader = new Utf8JsonReader(body, new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling,
            MaxDepth = options.MaxDepth,
        });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
                try
                {
                    // Unescaping is what validates the \u escapes; only escaped values need it.
                    reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return "Request body contains a \\u escape of a lone surrogate; text must be valid Unicode";
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON is reported by the deserialiser, with its path.
        }

        return null;
    }

    private static ApiException TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, $"Request body exceeds {limit} bytes");
}
