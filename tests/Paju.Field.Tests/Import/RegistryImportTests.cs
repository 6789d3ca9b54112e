using System.Globalization;
using System.Text;
using System.Text.Json;
using Paju.Field.Server.Import;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Import;

/// <summary>
/// <c>paju import</c> on the city's real reference files and on registry-format CSVs: counts, names,
/// codes and areas; 읍면동 assignment and its redo on reload; re-import by code; one transaction per
/// file; batches, --full, --retire-missing and undo.
/// </summary>
public sealed class RegistryImportTests(PostgisServer server)
{
    internal const string NationalHeader = "pfctSn,pfctNm,zip,ronaAddr,lotnoAddr,instlYmd,instlPlaceCdNm,idrodrCdNm,prvtPblcYnCdNm,rgnCd,latCrtsVl,lotCrtsVl";

    internal static string NationalRow(string sn, string name, double lat, double lon, string date = "20190315") =>
        string.Create(CultureInfo.InvariantCulture, $"{sn},{name},10800,경기도 파주시 시청로 {sn.PadLeft(3, '0')[^2..]},경기도 파주시 아동동 {sn.PadLeft(3, '0')[^3..]},{date},주택단지,실외,민간,4148010100,{lat},{lon}");

    [Fact]
    public async Task The_city_outline_and_seventeen_areas_import_with_their_names_codes_and_areas()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        await scope.LoadAreasAsync();
        Assert.Equal(1L, await scope.CountAsync("SELECT count(*) FROM city_outline WHERE code = '4148000000' AND name = '파주시'"));
        var outlineKm2 = await scope.Db.ScalarAsync<double>("SELECT ST_Area(ST_Transform(geom, 5179)) / 1e6 FROM city_outline");
        Assert.InRange(outlineKm2, 671.707 * 0.99, 671.707 * 1.01);

        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(SharedData.Path("paju-emd.geojson")));
        var expected = file.RootElement.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties")).ToList();
        Assert.Equal(17, expected.Count);
        Assert.Equal(17L, await scope.CountAsync("SELECT count(*) FROM admin_area"));
        foreach (var area in expected)
        {
            var code = area.GetProperty("code").GetString()!;
            var row = await scope.Db.ScalarAsync<string>("SELECT concat_ws('|', name, full_name, area_type, properties ->> 'kostat_code') FROM admin_area WHERE code = $1", code);
            Assert.Equal($"{area.GetProperty("name").GetString()}|{area.GetProperty("full_name").GetString()}|{area.GetProperty("type").GetString()}|{area.GetProperty("kostat_code").GetString()}", row);
            var km2 = await scope.Db.ScalarAsync<double>("SELECT ST_Area(ST_Transform(geom, 5179)) / 1e6 FROM admin_area WHERE code = $1", code);
            var published = area.GetProperty("area_km2").GetDouble();
            Assert.True(Math.Abs(km2 - published) <= published * 0.01, $"{area.GetProperty("name")}: {km2:F2} km² vs {published}");
        }
    }

    [Fact]
    public async Task The_twenty_points_in_utm_k_from_a_cp949_csv_land_within_a_metre_and_get_their_areas()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        await scope.LoadAreasAsync();
        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(SharedData.Path("paju-emd-points-2023.geojson")));
        var features = file.RootElement.GetProperty("features").EnumerateArray().ToList();
        var csv = new StringBuilder("행정기관코드,읍면동명,x_epsg5179,y_epsg5179\n");
        foreach (var f in features)
        {
            var p = f.GetProperty("properties");
            csv.Append(CultureInfo.InvariantCulture, $"{p.GetProperty("code").GetString()},{p.GetProperty("name").GetString()},{p.GetProperty("x_epsg5179").GetDouble()},{p.GetProperty("y_epsg5179").GetDouble()}\n");
        }
        var path = scope.Write("points.csv", csv.ToString(), TextSource.Cp949);
        var result = await scope.ImportAsync(path, ImportKind.Playground, r => r with
        {
            Crs = CoordinateSystems.UtmK,
            Fields = new FieldOverrides("행정기관코드", "읍면동명", "x_epsg5179", "y_epsg5179"),
        });
        Assert.Equal(ImportOutcome.Applied, result.Outcome);
        Assert.Equal(20, result.Written!.Inserted);
        foreach (var f in features)
        {
            var p = f.GetProperty("properties");
            var code = p.GetProperty("code").GetString()!;
            var position = f.GetProperty("geometry").GetProperty("coordinates");
            var metres = await scope.Db.ScalarAsync<double>(
                "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) FROM asset WHERE kind = 'playground' AND code = $1",
                code, position[0].GetDouble(), position[1].GetDouble());
            Assert.True(metres < 1, $"{p.GetProperty("name")}: {metres:F2} m off");
            var area = await scope.Db.ScalarAsync<string>("SELECT ar.name FROM asset a JOIN admin_area ar ON ar.code = a.admin_area_code WHERE a.kind = 'playground' AND a.code = $1", code);
            Assert.Equal(p.GetProperty("in_paju_emd_polygon").GetString(), area);
            Assert.Equal(p.GetProperty("name").GetString(), await scope.Db.ScalarAsync<string>("SELECT name FROM asset WHERE code = $1", code));
        }
    }

    [Fact]
    public async Task Assets_get_their_area_again_when_the_areas_are_reloaded_and_undo_puts_it_back()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        var points = await scope.ImportAsync(SharedData.Path("paju-emd-points-2023.geojson"), ImportKind.Playground);
        Assert.Equal(ImportOutcome.Applied, points.Outcome);
        Assert.Equal(0L, await scope.CountAsync("SELECT count(*) FROM asset WHERE admin_area_code IS NOT NULL"));

        await scope.LoadAreasAsync();
        Assert.Equal(20L, await scope.CountAsync("SELECT count(*) FROM asset WHERE admin_area_code IS NOT NULL"));
        Assert.Equal("4148025000", await scope.Db.ScalarAsync<string>("SELECT admin_area_code FROM asset WHERE code = '4148025000'"));

        // A reload in which 문산읍 carries a new code: its playground follows; the old code is gone.
        var text = (await File.ReadAllTextAsync(SharedData.Path("paju-emd.geojson"))).Replace("\"4148025000\"", "\"4148025099\"");
        var reload = await scope.ImportAsync(scope.Write("emd-reload.geojson", text), ImportKind.AdminArea, r => r with { Full = true, RetireMissing = true });
        Assert.Equal(ImportOutcome.Applied, reload.Outcome);
        Assert.Equal(1, reload.Written!.Inserted);
        Assert.Equal(1, reload.Written.Retired);
        Assert.True(reload.Written.AreasReassigned >= 1);
        Assert.Equal("4148025099", await scope.Db.ScalarAsync<string>("SELECT admin_area_code FROM asset WHERE code = '4148025000'"));

        await new ImportUndo(scope.Db.DataSource).UndoAsync(reload.BatchId!.Value, Server.Audit.Actor.System("test"), default);
        Assert.Equal("4148025000", await scope.Db.ScalarAsync<string>("SELECT admin_area_code FROM asset WHERE code = '4148025000'"));
        Assert.Equal(17L, await scope.CountAsync("SELECT count(*) FROM admin_area"));
    }

    [Fact]
    public async Task The_national_profile_fills_typed_columns_and_keeps_the_other_fields()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        var path = scope.Write("pfct.csv", $"{NationalHeader}\n{NationalRow("P000101", "햇살어린이놀이터", 37.7603, 126.7797)}\n", TextSource.Cp949);
        var result = await scope.ImportAsync(path, ImportKind.Playground, r => r with { Encoding = "cp949" });
        Assert.Equal(ImportOutcome.Applied, result.Outcome);
        var row = await scope.Db.ScalarAsync<string>("""
            SELECT concat_ws('|', a.name, a.address, p.facility_no, p.install_date, p.install_place, p.indoor, p.public_owned, p.lot_address,
                              a.properties ->> 'zip', a.properties ->> 'rgnCd', a.properties ? 'pfctNm')
            FROM asset a JOIN playground p ON p.asset_id = a.id WHERE a.code = 'P000101'
            """);
        Assert.Equal("햇살어린이놀이터|경기도 파주시 시청로 01|P000101|2019-03-15|주택단지|f|f|경기도 파주시 아동동 101|10800|4148010100|f", row);
    }

    [Fact]
    public async Task Reimport_updates_by_code_never_duplicates_and_every_batch_can_be_undone_newest_first()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        await scope.LoadAreasAsync();
        string Csv(params string[] rows) => $"{NationalHeader}\n{string.Join('\n', rows)}\n";
        var a = NationalRow("P1", "가", 37.7603, 126.7797);
        var b = NationalRow("P2", "나", 37.8729, 126.7780);
        var c = NationalRow("P3", "다", 37.8290, 126.8190);

        var first = await scope.ImportAsync(scope.Write("v1.csv", Csv(a, b, c)), ImportKind.Playground);
        Assert.Equal((3, 0, 0), (first.Written!.Inserted, first.Written.Updated, first.Written.Unchanged));
        var afterFirst = await scope.DumpAsync();

        var same = await scope.ImportAsync(scope.Write("v1-again.csv", Csv(a, b, c)), ImportKind.Playground);
        Assert.Equal((0, 0, 3), (same.Written!.Inserted, same.Written.Updated, same.Written.Unchanged));
        Assert.Equal(afterFirst, await scope.DumpAsync());

        var renamed = await scope.ImportAsync(scope.Write("v2.csv", Csv(a.Replace(",가,", ",가나다,"), b, c)), ImportKind.Playground);
        Assert.Equal((0, 1, 2), (renamed.Written!.Inserted, renamed.Written.Updated, renamed.Written.Unchanged));
        Assert.Equal(3L, await scope.CountAsync("SELECT count(*) FROM asset"));

        var full = await scope.ImportAsync(scope.Write("v3.csv", Csv(a.Replace(",가,", ",가나다,"), b)), ImportKind.Playground, r => r with { Full = true });
        Assert.Equal(["P3"], full.Missing.Select(m => m.Code));
        Assert.Equal(0L, await scope.CountAsync("SELECT count(*) FROM asset WHERE status = 'retired'"));

        var retire = await scope.ImportAsync(scope.Write("v3.csv", Csv(a.Replace(",가,", ",가나다,"), b)), ImportKind.Playground, r => r with { Full = true, RetireMissing = true });
        Assert.Equal(1, retire.Written!.Retired);
        Assert.Equal(1L, await scope.CountAsync("SELECT count(*) FROM asset WHERE code = 'P3' AND status = 'retired' AND retired_at IS NOT NULL"));

        var undo = new ImportUndo(scope.Db.DataSource);
        var actor = Server.Audit.Actor.System("test");
        var refused = await Assert.ThrowsAsync<ImportException>(() => undo.UndoAsync(renamed.BatchId!.Value, actor, default));
        Assert.Contains("최근 것부터", refused.Message);
        await undo.UndoAsync(retire.BatchId!.Value, actor, default);
        Assert.Equal(0L, await scope.CountAsync("SELECT count(*) FROM asset WHERE status = 'retired'"));
        await undo.UndoAsync(full.BatchId!.Value, actor, default);
        await undo.UndoAsync(renamed.BatchId!.Value, actor, default);
        await undo.UndoAsync(same.BatchId!.Value, actor, default);
        Assert.Equal(afterFirst, await scope.DumpAsync());
        await undo.UndoAsync(first.BatchId!.Value, actor, default);
        Assert.Equal(0L, await scope.CountAsync("SELECT count(*) FROM asset"));
        Assert.Equal(5L, await scope.CountAsync("SELECT count(*) FROM import_batch WHERE kind = 'playground' AND status = 'undone'"));
        Assert.Equal(10L, await scope.CountAsync("SELECT count(*) FROM audit_log WHERE action LIKE 'registry.import%' AND detail ->> 'kind' = 'playground'"));
    }

    [Fact]
    public async Task One_bad_row_writes_nothing_unless_skip_invalid_and_the_rejected_rows_are_kept()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        await scope.LoadAreasAsync();
        var path = scope.Write("mixed.csv", $"{NationalHeader}\n{NationalRow("P1", "가", 37.7603, 126.7797)}\n{NationalRow("P2", "나", 37.8729, 126.7780, date: "2019-13-45")}\n");
        var rejected = await scope.ImportAsync(path, ImportKind.Playground);
        Assert.Equal(ImportOutcome.Rejected, rejected.Outcome);
        Assert.Equal(0L, await scope.CountAsync("SELECT count(*) FROM asset"));
        Assert.Equal(1L, await scope.CountAsync("SELECT count(*) FROM import_issue i JOIN import_batch b ON b.id = i.batch_id WHERE b.status = 'rejected' AND i.row_no = 3 AND i.field = 'instlYmd'"));
        var report = await File.ReadAllLinesAsync(rejected.ReportPath);
        Assert.Equal("행,필드,사유,값", report[0].TrimStart('\uFEFF'));
        Assert.StartsWith("3,instlYmd,날짜가 아닙니다", report[1]);

        var skipped = await scope.ImportAsync(path, ImportKind.Playground, r => r with { SkipInvalid = true });
        Assert.Equal(ImportOutcome.Applied, skipped.Outcome);
        Assert.Equal((1, 1L), (skipped.Written!.Inserted, skipped.Invalid));
        Assert.Equal(["P1"], (await scope.DumpAsync()).Select(r => r.Split('|')[1]));
    }

    [Fact]
    public async Task Dry_run_validates_and_writes_nothing()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        var result = await scope.ImportAsync(SharedData.Path("paju-emd.geojson"), ImportKind.AdminArea, r => r with { DryRun = true });
        Assert.Equal((ImportOutcome.DryRun, 17L, 0L), (result.Outcome, result.RowsRead, result.Invalid));
        Assert.Equal(0L, await scope.CountAsync("SELECT count(*) FROM admin_area") + await scope.CountAsync("SELECT count(*) FROM import_batch"));
    }

    [Fact]
    public async Task A_large_feature_and_thousands_of_small_ones_stream_through_the_buffer()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        var json = new StringBuilder("{\"type\":\"FeatureCollection\",\"name\":\"test\",\"features\":[");
        var random = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            var padding = i == 1500 ? new string('가', 100_000) : "";
            json.Append(CultureInfo.InvariantCulture,
                $"{(i > 0 ? "," : "")}{{\"type\":\"Feature\",\"properties\":{{\"pfctSn\":\"S{i:D5}\",\"pfctNm\":\"놀이터 {i}\",\"note\":\"{padding}\"}},\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{126.75 + random.NextDouble() * 0.1},{37.75 + random.NextDouble() * 0.1}]}}}}");
        }
        json.Append("]}");
        var result = await scope.ImportAsync(scope.Write("many.geojson", json.ToString()), ImportKind.Playground);
        Assert.Equal((ImportOutcome.Applied, 3000), (result.Outcome, result.Written!.Inserted));
        Assert.Equal(100_000L, await scope.CountAsync("SELECT length(properties ->> 'note')::bigint FROM asset WHERE code = 'S01500'"));
    }
}
