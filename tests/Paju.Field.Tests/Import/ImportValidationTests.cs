using System.Globalization;
using System.Text;
using Paju.Field.Server.Import;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Import;

/// <summary>
/// Every row is validated before anything is written, and each bad input gets a reason a person can
/// act on, with nothing written: the mistakes Korean registry files actually carry, and broken files.
/// </summary>
public sealed class ImportValidationTests(PostgisServer server)
{
    private static string Csv(params string[] rows) => $"{RegistryImportTests.NationalHeader}\n{string.Join('\n', rows)}\n";

    private static string Row(string sn, string lat, string lon) =>
        $"{sn},놀이터 {sn},10800,경기도 파주시 시청로 1,경기도 파주시 아동동 1,20190315,주택단지,실외,민간,4148010100,{lat},{lon}";

    private static async Task<ImportResult> RejectedAsync(ImportScope scope, string csv, ImportKind? kind = null, Func<ImportRequest, ImportRequest>? with = null, string name = "bad.csv")
    {
        var result = await scope.ImportAsync(scope.Write(name, csv), kind ?? ImportKind.Playground, with);
        Assert.Equal(ImportOutcome.Rejected, result.Outcome);
        Assert.Equal(0L, await scope.CountAsync("SELECT count(*) FROM asset"));
        return result;
    }

    [Fact]
    public async Task Swapped_axes_projected_numbers_a_false_northing_slip_and_points_outside_are_each_named()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        await scope.LoadAreasAsync();
        var result = await RejectedAsync(scope, Csv(
            Row("OK1", "37.7603", "126.7797"),
            Row("SWAP", "126.7797", "37.7603"),
            Row("UTMK", "1986143", "936498"),
            Row("SEOUL", "37.5665", "126.9780"),
            Row("TEXT", "삼십칠", "126.7797"),
            Row("EMPTY", "", "126.7797"),
            Row("OK1", "37.7700", "126.7800"),
            "RAGGED,놀이터,10800"));
        string Reason(long row) => result.Issues.Single(i => i.Row == row).Reason;
        Assert.Contains("위도와 경도가 바뀐", Reason(3));
        Assert.Contains("투영 좌표", Reason(4));
        Assert.Contains("EPSG:5179", Reason(4));
        Assert.Contains("파주시", Reason(5));
        Assert.Contains("밖", Reason(5));
        Assert.Contains("숫자가 아닙니다", Reason(6));
        Assert.Contains("비어 있습니다", Reason(7));
        Assert.Contains("2번 나옵니다", Reason(8));
        Assert.Contains("열 개수", Reason(9));
        Assert.Equal(8L, result.Invalid);
        Assert.Contains(result.Issues, i => i.Row == 2 && i.Reason.Contains("2번", StringComparison.Ordinal));

        // 5186 numbers with the 500,000 false northing of 5181/5174: 100 km south of the city.
        var slip = await RejectedAsync(scope, "code,name,x,y\nF1,시설,180464.9,485915.0\n", ImportKind.Playground, r => r with { Crs = CoordinateSystems.CentralBelt2010 }, "slip.csv");
        Assert.Contains("100 km", slip.Issues.Single().Reason);
    }

    [Fact]
    public async Task Clip_to_city_counts_rows_outside_as_filtered_not_invalid()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        await scope.LoadAreasAsync();
        var path = scope.Write("national.csv", Csv(Row("IN", "37.7603", "126.7797"), Row("BUSAN", "35.1796", "129.0756"), Row("SEOUL", "37.5665", "126.9780")));
        var result = await scope.ImportAsync(path, ImportKind.Playground, r => r with { ClipToCity = true });
        Assert.Equal((ImportOutcome.Applied, 0L, 2L, 1), (result.Outcome, result.Invalid, result.Filtered, result.Written!.Inserted));
    }

    [Fact]
    public async Task An_invalid_polygon_is_refused_unless_repair_is_asked_and_then_counted()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        var bowtie = """
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"4148099999","name":"시험동"},
             "geometry":{"type":"Polygon","coordinates":[[[126.70,37.70],[126.80,37.80],[126.80,37.70],[126.70,37.80],[126.70,37.70]]]}}]}
            """;
        var path = scope.Write("bowtie.geojson", bowtie);
        var refused = await scope.ImportAsync(path, ImportKind.AdminArea);
        Assert.Equal(ImportOutcome.Rejected, refused.Outcome);
        Assert.Contains("유효하지 않습니다", refused.Issues.Single().Reason);
        Assert.Contains("--repair", refused.Issues.Single().Reason);
        var repaired = await scope.ImportAsync(path, ImportKind.AdminArea, r => r with { Repair = true });
        Assert.Equal((ImportOutcome.Applied, 1L), (repaired.Outcome, repaired.Repaired));
        Assert.True(await scope.Db.ScalarAsync<bool>("SELECT ST_IsValid(geom) AND area_type = 'dong' FROM admin_area WHERE code = '4148099999'"));
    }

    [Fact]
    public async Task Non_numeric_and_missing_geojson_coordinates_are_that_features_problem()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        var json = """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"pfctSn":"A","pfctNm":"가"},"geometry":{"type":"Point","coordinates":[126.78,37.76]}},
             {"type":"Feature","properties":{"pfctSn":"B","pfctNm":"나"},"geometry":{"type":"Point","coordinates":["동경","북위"]}},
             {"type":"Feature","properties":{"pfctSn":"C","pfctNm":"다"},"geometry":null}]}
            """;
        var result = await RejectedAsync(scope, json, name: "coords.geojson");
        Assert.Equal([2L, 3L], result.Issues.Select(i => i.Row!.Value));
        Assert.Contains("좌표를 읽을 수 없습니다", result.Issues[0].Reason);
        Assert.Contains("geometry가 없습니다", result.Issues[1].Reason);
    }

    [Fact]
    public async Task A_cell_PostgreSQL_cannot_hold_is_that_rows_problem_and_the_rest_of_the_file_is_still_checked()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        await scope.LoadAreasAsync();
        // A NUL inside a CSV cell, as a broken export writes it; the file is otherwise fine.
        var csv = await RejectedAsync(scope, Csv(
            Row("OK1", "37.7603", "126.7797"),
            Row("NUL1", "37.7700", "126.7800").Replace("놀이터 NUL1", "놀이터\0NUL1", StringComparison.Ordinal),
            Row("SEOUL", "37.5665", "126.9780")));
        Assert.Equal([3L, 4L], csv.Issues.Select(i => i.Row!.Value));
        Assert.Contains("NUL 문자", csv.Issues[0].Reason);
        Assert.Equal("pfctNm", csv.Issues[0].Field);
        Assert.Contains("파주시", csv.Issues[1].Reason);

        // The same in GeoJSON, where the escapes \u0000 and an unpaired \ud800 are valid JSON.
        var json = """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"pfctSn":"A","pfctNm":"가"},"geometry":{"type":"Point","coordinates":[126.78,37.76]}},
             {"type":"Feature","properties":{"pfctSn":"B","pfctNm":"나\u0000"},"geometry":{"type":"Point","coordinates":[126.78,37.761]}},
             {"type":"Feature","properties":{"pfctSn":"C","pfctNm":"다\ud800"},"geometry":{"type":"Point","coordinates":[126.78,37.762]}}]}
            """;
        var geojson = await RejectedAsync(scope, json, name: "text.geojson");
        Assert.Equal([2L, 3L], geojson.Issues.Select(i => i.Row!.Value));
        Assert.Contains("NUL 문자", geojson.Issues[0].Reason);
        Assert.Contains("서로게이트", geojson.Issues[1].Reason);
    }

    [Fact]
    public async Task Broken_files_stop_with_a_clear_error_and_write_nothing()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        async Task<string> Fails(string path, ImportKind kind, Func<ImportRequest, ImportRequest>? with = null)
        {
            var e = await Assert.ThrowsAsync<ImportException>(() => scope.ImportAsync(path, kind, with));
            Assert.Equal(0L, await scope.CountAsync("SELECT (SELECT count(*) FROM asset) + (SELECT count(*) FROM admin_area) + (SELECT count(*) FROM import_batch)"));
            return e.Message;
        }
        var emd = await File.ReadAllBytesAsync(SharedData.Path("paju-emd.geojson"));
        var truncated = Path.Combine(scope.Folder, "truncated.geojson");
        await File.WriteAllBytesAsync(truncated, emd[..(emd.Length * 2 / 3)]);
        Assert.Contains("잘렸", await Fails(truncated, ImportKind.AdminArea));

        var cp949 = scope.Write("cp949.csv", Csv(Row("P1", "37.7603", "126.7797")), TextSource.Cp949);
        Assert.Contains("2번째 줄", await Fails(cp949, ImportKind.Playground, r => r with { Encoding = "utf-8" }));

        Assert.Contains("빈 파일", await Fails(scope.Write("empty.csv", ""), ImportKind.Playground));
        Assert.Contains("행이 없습니다", await Fails(scope.Write("header.csv", Csv()), ImportKind.Playground));

        var noNewline = Path.Combine(scope.Folder, "one-line.csv");
        await using (var file = File.Create(noNewline))
        {
            var chunk = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("126.7797,", 1000)));
            for (var written = 0L; written < 50L << 20; written += chunk.Length)
            {
                await file.WriteAsync(chunk);
            }
        }
        Assert.Contains("줄바꿈이 없는", await Fails(noNewline, ImportKind.Playground));

        Assert.Contains("지원하지 않습니다", Assert.Throws<ImportException>(() => CoordinateSystems.Parse("EPSG:2097")).Message);
    }

    [Fact]
    public async Task Korean_text_survives_from_utf8_with_bom_and_cp949_files()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        var name = "꿈나무어린이공원 놀이터(파주·운정)";
        var bom = scope.Write("bom.csv", Csv(Row("B1", "37.7603", "126.7797").Replace("놀이터 B1", name)), new UTF8Encoding(true));
        var cp949 = scope.Write("cp949.csv", Csv(Row("C1", "37.7603", "126.7797").Replace("놀이터 C1", name)), TextSource.Cp949);
        Assert.Equal(ImportOutcome.Applied, (await scope.ImportAsync(bom, ImportKind.Playground)).Outcome);
        Assert.Equal(ImportOutcome.Applied, (await scope.ImportAsync(cp949, ImportKind.Playground)).Outcome);
        Assert.Equal(2L, await scope.CountAsync("SELECT count(*) FROM asset WHERE name = $1 AND address = '경기도 파주시 시청로 1'", name));
        Assert.Equal("cp949", await scope.Db.ScalarAsync<string>("SELECT encoding FROM import_batch WHERE file_name = 'cp949.csv'"));
    }
}
