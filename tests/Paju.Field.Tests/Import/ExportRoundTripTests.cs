using Paju.Field.Server.Import;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Import;

/// <summary>
/// <c>paju export</c> → <c>paju import</c> gives back the identical registry, in every format; the
/// GeoPackage is read by GDAL as a real client; a projected export comes back within a millimetre.
/// </summary>
public sealed class ExportRoundTripTests(PostgisServer server)
{
    [Theory]
    [InlineData("geojson")]
    [InlineData("csv")]
    [InlineData("gpkg")]
    public async Task Export_then_import_into_an_empty_registry_gives_the_identical_registry(string format)
    {
        await using var source = await ImportScope.CreateAsync(server);
        await source.LoadAreasAsync();
        var csv = $"{RegistryImportTests.NationalHeader}\n{RegistryImportTests.NationalRow("P000101", "\"햇살 놀이터, \"\"정문\"\"\"", 37.7603, 126.7797)}\n"
            + $"{RegistryImportTests.NationalRow("P000102", "문산 놀이터", 37.8729, 126.7780, date: "2001-05-06")}\n";
        ImportScope.AssertApplied(await source.ImportAsync(source.Write("pfct.csv", csv), ImportKind.Playground));
        var facilities = "facilNo,facilNm,facilGbn,facilClass,sfGrade,cplYmd,facilAddr,gisX,gisY,arNo\n"
            + "BR2003-0000012,임진강교,교량,2종,B등급,20031231,경기도 파주시 문산읍,126.7800,37.8900,\n"
            + "AR1974-0000015,파주시립도서관,도서관,3종,양호,1974,경기도 파주시 금촌동,126.7797,37.7603,AR-1\n";
        ImportScope.AssertApplied(await source.ImportAsync(source.Write("fms.csv", facilities), ImportKind.PublicFacility));

        var exporter = new RegistryExporter(source.Db.DataSource);
        await using var target = await ImportScope.CreateAsync(server);
        foreach (var kind in new[] { ImportKind.CityOutline, ImportKind.AdminArea, ImportKind.Playground, ImportKind.PublicFacility })
        {
            var path = Path.Combine(source.Folder, $"{kind.Name}.{format}");
            await exporter.ExportAsync(kind, format, CoordinateSystems.Wgs84, path, default);
            var result = await target.ImportAsync(path, kind);
            Assert.True(result.Outcome == ImportOutcome.Applied, $"{kind.Name}: {string.Join("; ", result.Issues.Select(i => i.Reason))}");
        }
        foreach (var table in new[] { "city_outline", "admin_area", "asset" })
        {
            var expected = await source.DumpAsync(table);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, await target.DumpAsync(table));
        }
        if (format == "gpkg")
        {
            var ogrinfo = Requires.Tool("ogrinfo", "apt-get install gdal-bin");
            var info = await Server.Database.ProcessRunner.RunAsync(ogrinfo, ["-ro", "-al", "-so", Path.Combine(source.Folder, "playground.gpkg")]);
            Assert.Contains("Feature Count: 2", info.StandardOutput);
            Assert.Contains("pfctNm: String", info.StandardOutput);
        }
    }

    [Fact]
    public async Task A_5186_export_comes_back_within_a_millimetre()
    {
        await using var source = await ImportScope.CreateAsync(server);
        await source.LoadAreasAsync();
        var exporter = new RegistryExporter(source.Db.DataSource);
        var path = Path.Combine(source.Folder, "emd-5186.geojson");
        await exporter.ExportAsync(ImportKind.AdminArea, "geojson", CoordinateSystems.CentralBelt2010, path, default);
        Assert.Contains("EPSG::5186", await File.ReadAllTextAsync(path));
        await using var target = await ImportScope.CreateAsync(server);
        ImportScope.AssertApplied(await target.ImportAsync(path, ImportKind.AdminArea));
        var back = await target.Db.ScalarAsync<string>("SELECT string_agg(code || ST_AsText(geom), ';' ORDER BY code) FROM admin_area");
        var metres = await source.Db.ScalarAsync<double>(
            "SELECT max(ST_HausdorffDistance(ST_Transform(a.geom, 5186), ST_Transform(b.geom, 5186))) FROM admin_area a JOIN " +
            "(SELECT split_part(p, 'MULTIPOLYGON', 1) AS code, ST_GeomFromText('MULTIPOLYGON' || split_part(p, 'MULTIPOLYGON', 2), 4326) AS geom FROM unnest(string_to_array($1, ';')) p) b USING (code)", back);
        Assert.InRange(metres, 0, 0.001);
    }
}
