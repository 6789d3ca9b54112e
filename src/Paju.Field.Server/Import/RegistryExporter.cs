using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using nietras.SeparatedValues;
using Npgsql;

namespace Paju.Field.Server.Import;

/// <summary>
/// <c>paju export</c>: a kind's registry written in the field names its importer reads (the national
/// registry's for playgrounds, FMS's for facilities), with the source fields it kept, so that an
/// export imported again gives the same registry.
/// </summary>
public sealed class RegistryExporter(NpgsqlDataSource db)
{
    private sealed record ExportRow(List<KeyValuePair<string, string>> Fields, Geometry Geometry);

    public async Task<int> ExportAsync(ImportKind kind, string format, CoordinateSystem crs, string path, CancellationToken ct)
    {
        var rows = ReadAsync(kind, crs, ct);
        var keys = await KeysAsync(kind, ct);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return format switch
        {
            "geojson" => await WriteGeoJsonAsync(rows, crs, path, ct),
            "csv" => await WriteCsvAsync(kind, rows, keys, path, ct),
            "gpkg" => await WriteGeoPackageAsync(kind, rows, keys, crs, path, ct),
            _ => throw new ImportException($"형식 '{format}'으로는 내보낼 수 없습니다: geojson, csv, gpkg"),
        };
    }

    private string SelectSql(ImportKind kind, int srid)
    {
        var details = kind.FileDetails;
        var (from, detailAlias) = kind.Target switch
        {
            ImportTarget.Asset => ($"asset a JOIN {kind.DetailTable} d ON d.asset_id = a.id WHERE a.kind = '{kind.AssetKind}' AND a.status = 'active' AND NOT a.is_sample", "d"),
            ImportTarget.AdminArea => ("admin_area a WHERE true", "a"),
            _ => ("city_outline a WHERE true", "a"),
        };
        var address = kind.Address is null ? "NULL" : "a.address";
        var detailColumns = string.Concat(details.Select(d => $", {detailAlias}.{d.Column}::text"));
        return $"SELECT a.code, a.name, {address}, a.properties::text, ST_AsBinary(ST_Transform(a.geom, {srid})){detailColumns} FROM {from} ORDER BY a.code";
    }

    private async IAsyncEnumerable<ExportRow> ReadAsync(ImportKind kind, CoordinateSystem crs, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var details = kind.FileDetails;
        var wkb = new WKBReader();
        await using var cmd = db.CreateCommand(SelectSql(kind, crs.Srid));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var fields = new List<KeyValuePair<string, string>>
            {
                new(kind.Code.Key, reader.GetString(0)),
                new(kind.NameField.Key, reader.GetString(1)),
            };
            if (kind.Address is not null && !reader.IsDBNull(2))
            {
                fields.Add(new(kind.Address.Key, reader.GetString(2)));
            }
            for (var i = 0; i < details.Count; i++)
            {
                if (!reader.IsDBNull(5 + i))
                {
                    var text = reader.GetString(5 + i);
                    fields.Add(new(details[i].Field!.Key, details[i].Export?.Invoke(text) ?? text));
                }
            }
            using (var properties = JsonDocument.Parse(reader.GetString(3)))
            {
                foreach (var p in properties.RootElement.EnumerateObject())
                {
                    fields.Add(new(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()));
                }
            }
            var geometry = wkb.Read((byte[])reader.GetValue(4));
            geometry.SRID = crs.Srid;
            yield return new ExportRow(fields, geometry);
        }
    }

    /// <summary>Every field name any row has, typed fields first, for the CSV header and the GeoPackage columns.</summary>
    private async Task<List<string>> KeysAsync(ImportKind kind, CancellationToken ct)
    {
        var keys = new List<string> { kind.Code.Key, kind.NameField.Key };
        if (kind.Address is not null)
        {
            keys.Add(kind.Address.Key);
        }
        keys.AddRange(kind.FileDetails.Select(d => d.Field!.Key));
        var filter = kind.Target == ImportTarget.Asset ? $"WHERE kind = '{kind.AssetKind}' AND status = 'active' AND NOT is_sample" : "";
        await using var cmd = db.CreateCommand($"SELECT DISTINCT jsonb_object_keys(properties) AS k FROM {kind.TargetTable} {filter} ORDER BY k");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (!keys.Contains(reader.GetString(0)))
            {
                keys.Add(reader.GetString(0));
            }
        }
        return keys;
    }

    private static async Task<int> WriteGeoJsonAsync(IAsyncEnumerable<ExportRow> rows, CoordinateSystem crs, string path, CancellationToken ct)
    {
        await using var file = File.Create(path);
        await using var json = new Utf8JsonWriter(file);
        json.WriteStartObject();
        json.WriteString("type", "FeatureCollection");
        if (crs.Srid != 4326)
        {
            // RFC 7946 is WGS84 only; a projected export says its CRS the way GDAL and QGIS read it.
            json.WriteStartObject("crs");
            json.WriteString("type", "name");
            json.WriteStartObject("properties");
            json.WriteString("name", $"urn:ogc:def:crs:EPSG::{crs.Srid}");
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteStartArray("features");
        var count = 0;
        await foreach (var row in rows)
        {
            json.WriteStartObject();
            json.WriteString("type", "Feature");
            json.WriteStartObject("properties");
            foreach (var (key, value) in row.Fields)
            {
                json.WriteString(key, value);
            }
            json.WriteEndObject();
            json.WritePropertyName("geometry");
            JsonSerializer.Serialize(json, row.Geometry, Sources.GeoJsonSource.GeometryOptions);
            json.WriteEndObject();
            if (++count % 1000 == 0)
            {
                await json.FlushAsync(ct);
            }
        }
        json.WriteEndArray();
        json.WriteEndObject();
        return count;
    }

    private static async Task<int> WriteCsvAsync(ImportKind kind, IAsyncEnumerable<ExportRow> rows, List<string> keys, string path, CancellationToken ct)
    {
        var text = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        using var writer = Sep.Writer(o => o with { Sep = new Sep(','), Escape = true }).To(text, leaveOpen: false);
        var count = 0;
        await foreach (var row in rows.WithCancellation(ct))
        {
            using var line = writer.NewRow();
            var values = row.Fields.ToDictionary(f => f.Key, f => f.Value);
            foreach (var key in keys)
            {
                line[key].Set(values.GetValueOrDefault(key, ""));
            }
            if (row.Geometry is Point p)
            {
                line[kind.Lon.Key].Set(p.X.ToString("R", CultureInfo.InvariantCulture));
                line[kind.Lat.Key].Set(p.Y.ToString("R", CultureInfo.InvariantCulture));
            }
            else
            {
                line[kind.Wkt.Key].Set(new WKTWriter { MaxCoordinatesPerLine = int.MaxValue }.Write(row.Geometry));
            }
            count++;
        }
        return count;
    }

    private async Task<int> WriteGeoPackageAsync(ImportKind kind, IAsyncEnumerable<ExportRow> rows, List<string> keys, CoordinateSystem crs, string path, CancellationToken ct)
    {
        File.Delete(path);
        string definition;
        await using (var cmd = db.CreateCommand("SELECT srtext FROM spatial_ref_sys WHERE srid = $1"))
        {
            cmd.Parameters.AddWithValue(crs.Srid);
            definition = (string)(await cmd.ExecuteScalarAsync(ct))!;
        }
        var layer = kind.Name.Replace('-', '_');
        var geometryType = kind.IsPoint ? "POINT" : "MULTIPOLYGON";
        await using var gpkg = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        await gpkg.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await gpkg.BeginTransactionAsync(ct);
        async Task Run(string sql, params object[] args)
        {
            await using var cmd = gpkg.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            for (var i = 0; i < args.Length; i++)
            {
                cmd.Parameters.AddWithValue($"$p{i}", args[i]);
            }
            await cmd.ExecuteNonQueryAsync(ct);
        }
        // The GeoPackage 1.2 core: its two registry tables, then one feature table (OGC 12-128r15).
        await Run("PRAGMA application_id = 1196444487");
        await Run("PRAGMA user_version = 10200");
        await Run("""
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
                organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)
            """);
        await Run("INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL)");
        await Run("INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL)");
        await Run("INSERT INTO gpkg_spatial_ref_sys VALUES ($p0, $p1, 'EPSG', $p1, $p2, NULL)", crs.Name, crs.Srid, definition);
        await Run("""
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
                description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER REFERENCES gpkg_spatial_ref_sys (srs_id))
            """);
        await Run("""
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
                srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name))
            """);
        var quoted = keys.Select(Sources.GeoPackageSource.Quote).ToList();
        await Run($"CREATE TABLE {Sources.GeoPackageSource.Quote(layer)} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {geometryType}, {string.Join(", ", quoted.Select(q => q + " TEXT"))})");
        await Run("INSERT INTO gpkg_geometry_columns VALUES ($p0, 'geom', $p1, $p2, 0, 0)", layer, geometryType, crs.Srid);

        var writer = new GeoPackageGeoWriter();
        var extent = new Envelope();
        var count = 0;
        await using var insert = gpkg.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = $"INSERT INTO {Sources.GeoPackageSource.Quote(layer)} (geom, {string.Join(", ", quoted)}) VALUES ($g, {string.Join(", ", keys.Select((_, i) => $"$v{i}"))})";
        var geometryParameter = insert.Parameters.Add("$g", SqliteType.Blob);
        var valueParameters = keys.Select((_, i) => insert.Parameters.Add($"$v{i}", SqliteType.Text)).ToList();
        await foreach (var row in rows.WithCancellation(ct))
        {
            var values = row.Fields.ToDictionary(f => f.Key, f => f.Value);
            geometryParameter.Value = writer.Write(row.Geometry);
            for (var i = 0; i < keys.Count; i++)
            {
                valueParameters[i].Value = values.TryGetValue(keys[i], out var v) ? v : DBNull.Value;
            }
            await insert.ExecuteNonQueryAsync(ct);
            extent.ExpandToInclude(row.Geometry.EnvelopeInternal);
            count++;
        }
        await Run("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) VALUES ($p0, 'features', $p0, $p1, $p2, $p3, $p4, $p5, $p6)",
            layer, kind.Label, extent.IsNull ? 0 : extent.MinX, extent.IsNull ? 0 : extent.MinY, extent.IsNull ? 0 : extent.MaxX, extent.IsNull ? 0 : extent.MaxY, crs.Srid);
        await tx.CommitAsync(ct);
        return count;
    }
}
