using System.Text;
using Npgsql;

namespace Paju.Field.Server.Ogc;

/// <summary>One page of features as GeoJSON text made by PostGIS, and the facts the links need.</summary>
public sealed record FeaturePage(IReadOnlyList<string> Features, long? FirstId, long? LastId, bool HasNext, bool HasPrevious, long NumberMatched);

/// <summary>
/// SQL for the items of a collection, built from the collection's definition and a parsed request.
/// PostGIS writes each feature's GeoJSON (ST_AsGeoJSON, in the requested CRS); every value from the
/// request is a bound parameter. Pages are keyset pages on the id: a deep page costs what the
/// first page costs.
/// </summary>
public static class FeatureQueries
{
    /// <param name="counts">Where exact counts are cached by registry revision; null counts afresh (the benchmark's bare SQL).</param>
    public static async Task<FeaturePage> PageAsync(NpgsqlDataSource db, OgcCollection collection, ItemsRequest request, CountCache? counts, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var descending = request.Before is not null;
        var rows = new List<(long Id, string Json)>();
        var behind = false;
        await using (var cmd = PageCommand(collection, request, conn))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1)));
                behind = reader.GetBoolean(2);
            }
        }
        var more = rows.Count > request.Limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        if (descending)
        {
            rows.Reverse();
        }

        long? first = rows.Count > 0 ? rows[0].Id : null;
        long? last = rows.Count > 0 ? rows[^1].Id : null;
        // Which way there is more: the over-fetched row answers one direction; the other is whether anything
        // matches behind the keyset bound, asked in the page's own statement (no second round trip).
        var hasNext = descending ? last is not null && behind : more;
        var hasPrevious = descending ? more : first is not null && request.After is not null && behind;
        var matched = await CountAsync(conn, collection, request, counts, ct);
        return new FeaturePage([.. rows.Select(r => r.Json)], first, last, hasNext, hasPrevious, matched);
    }

    /// <summary>
    /// The page's SQL. The ids are chosen first — filters and keyset bound on the collection's own table,
    /// joining only what a filter needs — and the details (kind table, parent, GeoJSON) are joined to those
    /// ids alone: a deep page reads what the first page reads, not every joined row up to its keyset bound.
    /// </summary>
    internal static NpgsqlCommand PageCommand(OgcCollection collection, ItemsRequest request, NpgsqlConnection conn)
    {
        var where = new WhereClause(collection, request);
        var descending = request.Before is not null;
        var keyset = request.After is not null ? $" AND {collection.IdSql} > {where.Bind(request.After.Value)}"
            : request.Before is not null ? $" AND {collection.IdSql} < {where.Bind(request.Before.Value)}"
            : "";
        var order = descending ? "DESC" : "ASC";
        // Behind the bound: a match at or before `after` means a previous page (at or after `before`, a next one).
        // Between the bound and the page's first row nothing matches, so this is the same as "beyond the page".
        // The nearest such match, walking the id index away from the bound, stops at the first one. Not EXISTS: PostgreSQL
        // drops an EXISTS's ORDER BY and LIMIT, and on fast-disk settings (random_page_cost near 1) may then plan it as a
        // bitmap of every match in the bbox before looking at one.
        var behind = request.After is not null || request.Before is not null
            ? $"(SELECT true FROM {collection.From} {NeededJoins(collection, where.Sql)} WHERE {where.Sql} AND {collection.IdSql} {(descending ? ">=" : "<=")} ${where.Parameters.Count} " +
              $"ORDER BY {collection.IdSql} {(descending ? "ASC" : "DESC")} LIMIT 1) IS NOT NULL"
            : "false";
        return where.Command($"""
            WITH page AS MATERIALIZED (
                SELECT {collection.IdSql} AS id
                FROM {collection.From} {NeededJoins(collection, where.Sql)}
                WHERE {where.Sql}{keyset}
                ORDER BY {collection.IdSql} {order}
                LIMIT {request.Limit + 1}
            )
            SELECT {collection.IdSql}, {FeatureJsonSql(collection, request.Crs)}, {behind}
            FROM page JOIN {collection.From} ON {collection.IdSql} = page.id {AllJoins(collection)}
            ORDER BY {collection.IdSql} {order}
            """, conn);
    }

    public static async Task<string?> OneAsync(NpgsqlDataSource db, OgcCollection collection, long id, OgcCrs crs, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"""
            SELECT {FeatureJsonSql(collection, crs)}
            FROM {collection.From} {AllJoins(collection)}
            WHERE {collection.Where} AND {collection.IdSql} = $1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return (string?)await cmd.ExecuteScalarAsync(ct);
    }

    /// <summary>The exact number of features matching the filters, joining only what the filters need.</summary>
    public static async Task<long> CountAsync(NpgsqlConnection conn, OgcCollection collection, ItemsRequest request, CountCache? counts, CancellationToken ct)
    {
        var where = new WhereClause(collection, request);
        var sql = $"SELECT count(*) FROM {collection.From} {NeededJoins(collection, where.Sql)} WHERE {where.Sql}";
        if (counts is not null)
        {
            return await counts.CountAsync(conn, sql, where.Parameters, ct);
        }
        await using var cmd = where.Command(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static string AllJoins(OgcCollection collection) => string.Join(' ', collection.Joins.Select(j => j.Sql));

    private static string NeededJoins(OgcCollection collection, string where) =>
        string.Join(' ', collection.Joins.Where(j => where.Contains(j.Alias + ".", StringComparison.Ordinal)).Select(j => j.Sql));

    private static string FeatureJsonSql(OgcCollection collection, OgcCrs crs)
    {
        var properties = new StringBuilder();
        foreach (var p in collection.Properties)
        {
            properties.Append(properties.Length == 0 ? "" : ", ").Append($"'{p.Name}', {p.Sql}");
        }
        return $"""
            json_build_object(
                'type', 'Feature',
                'id', {collection.IdSql},
                'geometry', ST_AsGeoJSON({crs.OutputGeometrySql(collection.GeometrySql)}, {crs.Decimals}, 0)::json,
                'properties', json_build_object({properties}))::text
            """;
    }

    /// <summary>The WHERE of a request: fixed collection filter, default filter, bbox, time, property filters.</summary>
    private sealed class WhereClause
    {
        private readonly List<NpgsqlParameter> _parameters = [];

        public WhereClause(OgcCollection collection, ItemsRequest request)
        {
            var parts = new List<string> { collection.Where };
            if (collection.DefaultFilter is not null && request.Filters.All(f => f.Property.Name != "status"))
            {
                parts.Add(collection.DefaultFilter);
            }
            foreach (var filter in request.Filters)
            {
                parts.Add($"{filter.Property.Sql} = {Bind(filter.Value)}");
            }
            if (request.Bbox is { } bbox)
            {
                parts.Add(BboxSql(collection.GeometrySql, bbox));
            }
            if (request.Datetime is { } interval && collection.Temporal is { } temporal)
            {
                // A missing start or end is an open end (a zone whose works have not ended is still current).
                // A calendar date covers its whole Seoul day: it starts at that day's midnight and ends,
                // exclusively, at the next day's.
                var endSql = temporal.EndSql ?? temporal.StartSql;
                var start = $"coalesce({AsInstant(temporal.StartSql, temporal.IsDate)}, '-infinity')";
                var end = $"coalesce({AsInstant(temporal.IsDate ? $"({endSql}) + 1" : endSql, temporal.IsDate)}, 'infinity')";
                // The feature's [start, end] intersects the requested interval; open ends do not limit.
                if (interval.End is { } to)
                {
                    parts.Add($"{start} <= {Bind(to)}");
                }
                if (interval.Start is { } from)
                {
                    parts.Add($"{end} {(temporal.IsDate ? ">" : ">=")} {Bind(from)}");
                }
            }
            Sql = string.Join(" AND ", parts.Select(p => $"({p})"));
        }

        public string Sql { get; }

        public List<NpgsqlParameter> Parameters => _parameters;

        public string Bind(object value)
        {
            _parameters.Add(new NpgsqlParameter { Value = value });
            return $"${_parameters.Count}";
        }

        public NpgsqlCommand Command(string sql, NpgsqlConnection conn)
        {
            var cmd = new NpgsqlCommand(sql, conn);
            foreach (var p in _parameters)
            {
                cmd.Parameters.Add(p.Clone());
            }
            return cmd;
        }

        private string BboxSql(string geometry, BoundingBox bbox)
        {
            // Parameters come in the CRS's own axis order; envelopes are built x=east, y=north.
            var (minE, minN, maxE, maxN) = bbox.Crs.FlipAxes
                ? (bbox.MinY, bbox.MinX, bbox.MaxY, bbox.MaxX)
                : (bbox.MinX, bbox.MinY, bbox.MaxX, bbox.MaxY);
            var envelope = $"ST_MakeEnvelope({Bind(minE)}, {Bind(minN)}, {Bind(maxE)}, {Bind(maxN)}, {bbox.Crs.Srid})";
            return bbox.Crs.Srid == 4326
                ? $"ST_Intersects({geometry}, {envelope})"
                // A projected box is not a lon/lat box: use its transformed extent for the index, then test exactly in its CRS.
                : $"{geometry} && ST_Transform({envelope}, 4326) AND ST_Intersects(ST_Transform({geometry}, {bbox.Crs.Srid}), {envelope})";
        }

        private static string AsInstant(string sql, bool isDate) =>
            // Dates are Seoul calendar days: 2025-04-01 starts at 2025-03-31T15:00Z.
            isDate ? $"({sql})::timestamp AT TIME ZONE 'Asia/Seoul'" : sql;
    }
}
