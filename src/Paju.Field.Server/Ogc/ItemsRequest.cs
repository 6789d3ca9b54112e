using System.Globalization;

namespace Paju.Field.Server.Ogc;

/// <summary>A bounding box as the client sent it, in the axis order of its CRS.</summary>
public sealed record BoundingBox(double MinX, double MinY, double MaxX, double MaxY, OgcCrs Crs);

/// <summary>An interval in time; a null end is open.</summary>
public sealed record TimeInterval(DateTimeOffset? Start, DateTimeOffset? End);

public sealed record PropertyFilter(OgcProperty Property, object Value);

/// <summary>
/// The parsed query of /collections/{id}/items. Every parameter is checked here, so a bad one
/// becomes a 400 with a sentence a person can act on and never reaches SQL; filter values are
/// always bound as parameters.
/// </summary>
public sealed record ItemsRequest(
    int Limit,
    BoundingBox? Bbox,
    TimeInterval? Datetime,
    IReadOnlyList<PropertyFilter> Filters,
    long? After,
    long? Before,
    OgcCrs Crs)
{
    private static readonly HashSet<string> Reserved = ["f", "limit", "bbox", "bbox-crs", "crs", "datetime", "after", "before"];

    /// <returns>The request, or a reason it cannot be answered.</returns>
    public static (ItemsRequest? Request, string? Error) Parse(IQueryCollection query, OgcCollection collection)
    {
        foreach (var key in query.Keys)
        {
            if (!Reserved.Contains(key) && collection.Queryables.All(q => q.Name != key))
            {
                return Fail($"Unknown parameter '{key}'. This collection takes: {string.Join(", ", Reserved.Order())}" +
                    $" and the filters {string.Join(", ", collection.Queryables.Select(q => q.Name))}.");
            }
            if (query[key].Count > 1)
            {
                return Fail($"Parameter '{key}' was given {query[key].Count} times; give it once.");
            }
        }

        if (query.TryGetValue("f", out var format) && format.ToString() is not ("json" or "geojson"))
        {
            return Fail($"Format f={format} is not offered; use f=json (GeoJSON).");
        }

        var limit = OgcCatalog.DefaultLimit;
        if (query.TryGetValue("limit", out var limitText))
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1)
            {
                return Fail($"limit must be a whole number from 1 to {OgcCatalog.MaxLimit}; got '{limitText}'.");
            }
            // The standard says to clamp rather than fail above the maximum.
            limit = Math.Min(limit, OgcCatalog.MaxLimit);
        }

        var crs = OgcCrs.Crs84;
        if (query.TryGetValue("crs", out var crsText))
        {
            crs = OgcCrs.Find(crsText!) ?? null!;
            if (crs is null)
            {
                return Fail($"crs '{crsText}' is not offered. Offered: {string.Join(", ", OgcCrs.Supported.Select(c => c.Uri))}.");
            }
        }

        var bboxCrs = OgcCrs.Crs84;
        if (query.TryGetValue("bbox-crs", out var bboxCrsText))
        {
            bboxCrs = OgcCrs.Find(bboxCrsText!) ?? null!;
            if (bboxCrs is null)
            {
                return Fail($"bbox-crs '{bboxCrsText}' is not offered. Offered: {string.Join(", ", OgcCrs.Supported.Select(c => c.Uri))}.");
            }
            if (!query.ContainsKey("bbox"))
            {
                return Fail("bbox-crs was given without bbox.");
            }
        }

        BoundingBox? bbox = null;
        if (query.TryGetValue("bbox", out var bboxText))
        {
            var (parsed, error) = ParseBbox(bboxText.ToString(), bboxCrs);
            if (error is not null)
            {
                return Fail(error);
            }
            bbox = parsed;
        }

        TimeInterval? datetime = null;
        if (query.TryGetValue("datetime", out var datetimeText))
        {
            if (collection.Temporal is null)
            {
                return Fail($"Collection '{collection.Id}' has no time, so datetime cannot filter it.");
            }
            var (parsed, error) = ParseDatetime(datetimeText.ToString());
            if (error is not null)
            {
                return Fail(error);
            }
            datetime = parsed;
        }

        long? after = null, before = null;
        if (query.TryGetValue("after", out var afterText))
        {
            if (!long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return Fail($"after must be a feature id (a whole number); got '{afterText}'. Follow the 'next' link instead of building it.");
            }
            after = value;
        }
        if (query.TryGetValue("before", out var beforeText))
        {
            if (!long.TryParse(beforeText, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return Fail($"before must be a feature id (a whole number); got '{beforeText}'. Follow the 'prev' link instead of building it.");
            }
            before = value;
        }
        if (after is not null && before is not null)
        {
            return Fail("Give after or before, not both.");
        }

        var filters = new List<PropertyFilter>();
        foreach (var property in collection.Queryables)
        {
            if (!query.TryGetValue(property.Name, out var raw))
            {
                continue;
            }
            var (value, error) = ParseValue(property, raw.ToString());
            if (error is not null)
            {
                return Fail(error);
            }
            filters.Add(new PropertyFilter(property, value!));
        }

        return (new ItemsRequest(limit, bbox, datetime, filters, after, before, crs), null);
    }

    private static (ItemsRequest?, string?) Fail(string reason) => (null, reason);

    private static (BoundingBox?, string?) ParseBbox(string text, OgcCrs crs)
    {
        var parts = text.Split(',');
        var numbers = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]) || !double.IsFinite(numbers[i]))
            {
                return (null, $"bbox must be 4 or 6 numbers separated by commas; '{parts[i]}' is not a number.");
            }
        }
        if (numbers.Length is not (4 or 6))
        {
            return (null, $"bbox must be 4 numbers (minx,miny,maxx,maxy) or 6 (with heights); got {numbers.Length}.");
        }
        // With heights the order is minx,miny,minz,maxx,maxy,maxz; heights do not filter 2D assets.
        var (x1, y1, x2, y2) = numbers.Length == 4
            ? (numbers[0], numbers[1], numbers[2], numbers[3])
            : (numbers[0], numbers[1], numbers[3], numbers[4]);
        if (crs.IsGeographic)
        {
            var (lat1, lat2, lon1, lon2) = crs.FlipAxes ? (x1, x2, y1, y2) : (y1, y2, x1, x2);
            if (lat1 is < -90 or > 90 || lat2 is < -90 or > 90)
            {
                return (null, $"bbox latitude must lie between -90 and 90; got {lat1} and {lat2}" +
                    (crs.FlipAxes ? " (EPSG:4326 is lat,lon)." : " (CRS84 is lon,lat)."));
            }
            if (lon1 is < -180 or > 180 || lon2 is < -180 or > 180)
            {
                return (null, $"bbox longitude must lie between -180 and 180; got {lon1} and {lon2}.");
            }
        }
        if (x1 > x2 || y1 > y2)
        {
            return (null, "bbox minimum is greater than its maximum: give the lower corner first.");
        }
        return (new BoundingBox(x1, y1, x2, y2, crs), null);
    }

    private static (TimeInterval?, string?) ParseDatetime(string text)
    {
        var parts = text.Split('/');
        if (parts.Length > 2)
        {
            return (null, $"datetime must be an instant or an interval 'start/end' (RFC 3339, '..' for open); got '{text}'.");
        }
        DateTimeOffset? Parse(string part, out string? error)
        {
            error = null;
            if (part is "" or "..")
            {
                return null;
            }
            if (DateTimeOffset.TryParse(part, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
            {
                return value.ToUniversalTime();
            }
            error = $"'{part}' in datetime is not an RFC 3339 date or date-time (e.g. 2025-06-01 or 2025-06-01T09:00:00+09:00).";
            return null;
        }
        var start = Parse(parts[0], out var startError);
        if (startError is not null)
        {
            return (null, startError);
        }
        if (parts.Length == 1)
        {
            return start is null ? (null, "datetime is empty.") : (new TimeInterval(start, start), null);
        }
        var end = Parse(parts[1], out var endError);
        if (endError is not null)
        {
            return (null, endError);
        }
        if (start is not null && end is not null && start > end)
        {
            return (null, "datetime interval ends before it starts.");
        }
        return (new TimeInterval(start, end), null);
    }

    private static (object?, string?) ParseValue(OgcProperty property, string raw)
    {
        if (property.Values is { } values && !values.Contains(raw))
        {
            return (null, $"{property.Name} must be one of {string.Join(", ", values)}; got '{raw}'.");
        }
        switch (property.Type)
        {
            case PropertyType.Integer:
                return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                    ? (i, null) : (null, $"{property.Name} must be a whole number; got '{raw}'.");
            case PropertyType.Number:
                return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                    ? (d, null) : (null, $"{property.Name} must be a number; got '{raw}'.");
            case PropertyType.Bool:
                return bool.TryParse(raw, out var b)
                    ? (b, null) : (null, $"{property.Name} must be true or false; got '{raw}'.");
            case PropertyType.Date:
                return DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                    ? (date, null) : (null, $"{property.Name} must be a date like 2025-06-01; got '{raw}'.");
            default:
                return raw.Length <= 200 ? (raw, null) : (null, $"{property.Name} is longer than 200 characters.");
        }
    }
}
