using Npgsql;

namespace Paju.Field.Server.Seeding;

/// <summary>
/// The city's outline and its 17 읍면동, shipped with the product (public data, Seeding/Geodata) and
/// loaded with the sample when the database has none of its own: a new installation then shows the
/// city on a map with no basemap, offline, and the sample assets fall in their 읍면동. The rows are
/// marked as sample; a real import over them adopts them.
/// </summary>
public static class SampleGeography
{
    /// <summary>The credit line the licence asks for (KOGL Type 1 upstream, CC BY 4.0 for the derived polygons).</summary>
    public const string Attribution =
        "행정동 경계: 통계청 SGIS(공공누리 제1유형), vuski/admdongkor 가공(CC BY 4.0)";

    public const string Source = "sample: KOSTAT SGIS 행정동 경계 via vuski/admdongkor ver20210401";

    /// <returns>The areas and outlines written (0 and 0 when the city has its own).</returns>
    public static async Task<(int Areas, int Outlines)> WriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        // PostGIS reads the GeoJSON: these are our own files, shipped in the binary, not anyone's input.
        var areas = await ExecuteAsync(conn, tx, """
            INSERT INTO admin_area (code, name, full_name, area_type, geom, source, is_sample, properties)
            SELECT f->'properties'->>'code', f->'properties'->>'name', f->'properties'->>'full_name', f->'properties'->>'type',
                   ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326)), $2, true,
                   (f->'properties') || jsonb_build_object('attribution', $3::text)
            FROM jsonb_array_elements($1::jsonb->'features') f
            WHERE NOT EXISTS (SELECT 1 FROM admin_area)
            """, await ReadAsync("paju-emd.geojson", ct), ct);
        var outlines = await ExecuteAsync(conn, tx, """
            INSERT INTO city_outline (code, name, geom, properties, is_sample)
            SELECT f->'properties'->>'code', f->'properties'->>'name',
                   ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326)),
                   (f->'properties') || jsonb_build_object('attribution', $3::text), true
            FROM jsonb_array_elements($1::jsonb->'features') f
            WHERE NOT EXISTS (SELECT 1 FROM city_outline)
            """, await ReadAsync("paju-boundary.geojson", ct), ct);
        return (areas, outlines);
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, string geoJson, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx)
        {
            Parameters = { new() { Value = geoJson }, new() { Value = Source }, new() { Value = Attribution } },
        };
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<string> ReadAsync(string file, CancellationToken ct)
    {
        await using var stream = typeof(SampleGeography).Assembly.GetManifestResourceStream("geodata/" + file)
            ?? throw new InvalidOperationException($"geodata/{file} is missing from the build");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(ct);
    }
}
