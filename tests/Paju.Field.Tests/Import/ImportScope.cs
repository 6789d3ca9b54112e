using System.Text;
using Paju.Field.Server.Audit;
using Paju.Field.Server.Import;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Import;

/// <summary>A test's own empty registry (a fresh database) and a folder for its files and reports.</summary>
public sealed class ImportScope : IAsyncDisposable
{
    private ImportScope(TestDatabase db, string folder)
    {
        Db = db;
        Folder = folder;
    }

    public TestDatabase Db { get; }

    public string Folder { get; }

    public static async Task<ImportScope> CreateAsync(PostgisServer server)
    {
        var db = new TestDatabase(server);
        await db.InitializeAsync();
        return new ImportScope(db, TempDirectory.Create("paju-import-"));
    }

    public string Write(string name, string text, Encoding? encoding = null)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, text, encoding ?? new UTF8Encoding(false));
        return path;
    }

    public Task<ImportResult> ImportAsync(string file, ImportKind kind, Func<ImportRequest, ImportRequest>? with = null)
    {
        var request = new ImportRequest(file, kind) { ReportPath = Path.Combine(Folder, $"report-{Guid.NewGuid():N}.csv") };
        return new RegistryImporter(Db.DataSource).RunAsync(with?.Invoke(request) ?? request, Actor.System("test"), null, default);
    }

    /// <summary>The city outline and the 17 읍면동 from the reference data.</summary>
    public async Task LoadAreasAsync()
    {
        AssertApplied(await ImportAsync(SharedData.Path("paju-boundary.geojson"), ImportKind.CityOutline));
        AssertApplied(await ImportAsync(SharedData.Path("paju-emd.geojson"), ImportKind.AdminArea));
    }

    public static void AssertApplied(ImportResult result) =>
        Assert.True(result.Outcome == ImportOutcome.Applied, $"{result.Outcome}: {string.Join("; ", result.Issues.Take(5).Select(i => $"{i.Row} {i.Field} {i.Reason} [{i.Value}]"))}");

    public Task<long> CountAsync(string sql, params object[] args) => Db.ScalarAsync<long>(sql, args);

    /// <summary>Everything the registry keeps of a kind's rows, as text, for before/after comparisons.</summary>
    public async Task<List<string>> DumpAsync(string table = "asset")
    {
        var sql = table switch
        {
            "asset" => """
                SELECT concat_ws('|', a.kind, a.code, a.name, a.address, a.status, a.admin_area_code, a.properties::text, encode(ST_AsEWKB(a.geom), 'hex'),
                       (SELECT (to_jsonb(p) - 'asset_id')::text FROM playground p WHERE p.asset_id = a.id),
                       (SELECT (to_jsonb(f) - 'asset_id')::text FROM public_facility f WHERE f.asset_id = a.id))
                FROM asset a ORDER BY a.kind, a.code
                """,
            "admin_area" => "SELECT concat_ws('|', code, name, full_name, area_type, properties::text, encode(ST_AsEWKB(geom), 'hex')) FROM admin_area ORDER BY code",
            _ => "SELECT concat_ws('|', code, name, properties::text, encode(ST_AsEWKB(geom), 'hex')) FROM city_outline ORDER BY code",
        };
        await using var cmd = Db.DataSource.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
