using System.Globalization;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Paju.Field.Server.Import.Sources;

/// <summary>
/// One feature table of an OGC GeoPackage: the only one, or the one named with --layer. Its
/// srs_id gives the CRS unless --crs overrides it.
/// </summary>
public sealed class GeoPackageSource : IRecordSource
{
    private readonly SqliteConnection _db;
    private readonly string _table;
    private readonly string _geometryColumn;
    private readonly long _total;
    private long _read;

    public GeoPackageSource(string path, string? layer)
    {
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        try
        {
            _db.Open();
            var layers = Query("SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name", r => r.GetString(0));
            _table = layer ?? (layers.Count == 1 ? layers[0]
                : throw new ImportException(layers.Count == 0
                    ? "GeoPackage에 피처 레이어가 없습니다"
                    : $"GeoPackage에 레이어가 {layers.Count}개 있습니다: --layer 로 하나를 고르십시오 ({string.Join(", ", layers)})"));
            if (!layers.Contains(_table))
            {
                throw new ImportException($"GeoPackage에 '{_table}' 레이어가 없습니다 (있는 레이어: {string.Join(", ", layers)})");
            }
            var (column, srsId) = Query("SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = $t", r => (r.GetString(0), r.GetInt32(1)), ("$t", _table)).Single();
            _geometryColumn = column;
            var srs = Query("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = $s", r => (r.GetString(0), r.GetInt32(1)), ("$s", srsId));
            if (srs is [var (organization, id)] && organization.Equals("EPSG", StringComparison.OrdinalIgnoreCase))
            {
                DeclaredCrs = CoordinateSystems.Parse(id.ToString(CultureInfo.InvariantCulture));
            }
            _total = Query($"SELECT count(*) FROM {Quote(_table)}", r => r.GetInt64(0))[0];
        }
        catch (SqliteException e)
        {
            _db.Dispose();
            throw new ImportException($"GeoPackage로 읽을 수 없습니다: {e.Message}");
        }
        catch
        {
            _db.Dispose();
            throw;
        }
    }

    public string Format => "gpkg";

    public CoordinateSystem? DeclaredCrs { get; }

    public string? EncodingName => null;

    public double Progress => _total == 0 ? 1 : (double)_read / _total;

    public IEnumerable<SourceRecord> Read(CancellationToken ct)
    {
        var keyColumn = Query($"SELECT name FROM pragma_table_info('{_table.Replace("'", "''")}') WHERE pk = 1", r => r.GetString(0)).FirstOrDefault();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = $"SELECT * FROM {Quote(_table)} ORDER BY rowid";
        using var reader = cmd.ExecuteReader();
        var geometryOrdinal = reader.GetOrdinal(_geometryColumn);
        var fields = Enumerable.Range(0, reader.FieldCount).Where(i => i != geometryOrdinal && reader.GetName(i) != keyColumn).ToArray();
        var names = fields.Select(reader.GetName).ToArray();
        var geometryReader = new GeoPackageGeoReader();
        while (reader.Read())
        {
            ct.ThrowIfCancellationRequested();
            _read++;
            var values = new string?[fields.Length];
            for (var i = 0; i < fields.Length; i++)
            {
                values[i] = reader.IsDBNull(fields[i]) ? null : Convert.ToString(reader.GetValue(fields[i]), CultureInfo.InvariantCulture);
            }
            Geometry? geometry = null;
            RowProblem? problem = null;
            if (reader.IsDBNull(geometryOrdinal))
            {
                problem = new RowProblem(_geometryColumn, "geometry가 없습니다 (NULL)");
            }
            else
            {
                try
                {
                    geometry = geometryReader.Read((byte[])reader.GetValue(geometryOrdinal));
                }
                catch (Exception e) when (e is ParseException or ArgumentException or InvalidCastException or IOException or InvalidOperationException)
                {
                    problem = new RowProblem(_geometryColumn, $"GeoPackage geometry를 읽을 수 없습니다: {e.Message}");
                }
            }
            yield return new SourceRecord { Names = names, Values = values, Number = _read, Geometry = geometry, Problem = problem };
        }
    }

    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        using var reader = cmd.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(map(reader));
        }
        return list;
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public void Dispose() => _db.Dispose();
}
