using System.Globalization;
using Orchestration.Http.Platform.Errors;

namespace Orchestration.Http.Formicary;

/// <summary>
/// Formicary's paging: <c>page</c> counts from 0 as in Formicary itself, <c>page_size</c> (or Formicary's own
/// <c>pageSize</c>) defaults to 20 and is clamped to 100. A value that is not a non-negative integer is a 400.
/// </summary>
internal static class FormicaryPaging
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static (int Page, int PageSize, int Offset) Read(IQueryCollection query)
    {
        var page = 0;
        if (query["page"].ToString() is { Length: > 0 } p && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out page)))
            throw ApiException.Validation("page", "must be a non-negative integer (the first page is 0)");
        var size = DefaultPageSize;
        var sizeText = query["page_size"].ToString() is { Length: > 0 } s ? s : query["pageSize"].ToString();
        if (sizeText.Length > 0 && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1))
            throw ApiException.Validation("page_size", "must be a positive integer");
        size = Math.Min(size, MaxPageSize);
        var offset = (long)page * size;
        if (offset > int.MaxValue) throw ApiException.Validation("page", "is too large");
        return (page, size, (int)offset);
    }

    public static long TotalPages(long total, int pageSize) => total == 0 ? 0 : (total + pageSize - 1) / pageSize;
}
