using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Import;

/// <summary>The command line a person uses: its help, its summary and report, its exit codes, undo and export.</summary>
public sealed class ImportCommandTests(PostgisServer server)
{
    [Fact]
    public async Task Help_lists_the_kinds_the_crs_and_every_option()
    {
        var help = await PajuCli.RunAsync(["import", "--help"], ct: TestContext.Current.CancellationToken);
        Assert.True(help.Succeeded, help.StandardError);
        foreach (var word in new[] { "--kind", "--crs", "--encoding", "--dry-run", "--skip-invalid", "--repair", "--clip-to-city", "--full", "--retire-missing", "playground", "admin-area", "EPSG:5186", "undo" })
        {
            Assert.Contains(word, help.StandardOutput);
        }
    }

    [Fact]
    public async Task Import_prints_a_summary_refuses_bad_files_with_exit_3_and_undo_and_export_work()
    {
        await using var scope = await ImportScope.CreateAsync(server);
        var ct = TestContext.Current.CancellationToken;
        var data = TempDirectory.Create("paju-cli-");
        Task<Server.Database.ProcessResult> Paju(params string[] args) =>
            PajuCli.RunAsync([.. args, "--db", scope.Db.ConnectionString, "--data", data], ct: ct);

        var areas = await Paju("import", SharedData.Path("paju-emd.geojson"), "--kind", "admin-area", "--report", Path.Combine(scope.Folder, "r.csv"));
        Assert.True(areas.Succeeded, areas.StandardOutput + areas.StandardError);
        Assert.Contains("가져왔습니다: 배치", areas.StandardOutput);
        Assert.Matches(@"새로 넣음\s+17", areas.StandardOutput);
        Assert.Contains("행/초", areas.StandardOutput);

        var bad = scope.Write("bad.csv", $"{RegistryImportTests.NationalHeader}\n{RegistryImportTests.NationalRow("P1", "가", 126.7797, 37.7603)}\n");
        var refused = await Paju("import", bad, "--kind", "playground", "--report", Path.Combine(scope.Folder, "bad-report.csv"));
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("아무것도 쓰지 않았습니다", refused.StandardOutput);
        Assert.Contains("위도와 경도가 바뀐", refused.StandardOutput);

        var unknownCrs = await Paju("import", bad, "--kind", "playground", "--crs", "EPSG:9999");
        Assert.Equal(1, unknownCrs.ExitCode);
        Assert.Contains("좌표계 'EPSG:9999'는 지원하지 않습니다", unknownCrs.StandardError);

        var list = await Paju("import", "list");
        Assert.Contains("admin_area", list.StandardOutput);
        Assert.Contains("rejected", list.StandardOutput);

        var export = await Paju("export", "--kind", "admin-area", "--format", "gpkg", "-o", Path.Combine(scope.Folder, "emd.gpkg"));
        Assert.True(export.Succeeded, export.StandardError);
        Assert.Contains("17건", export.StandardOutput);

        var batch = await scope.Db.ScalarAsync<long>("SELECT id FROM import_batch WHERE status = 'applied'");
        var undo = await Paju("import", "undo", batch.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(undo.Succeeded, undo.StandardError);
        Assert.Contains("17건 삭제", undo.StandardOutput);
        Assert.Equal(0L, await scope.CountAsync("SELECT count(*) FROM admin_area"));
        Directory.Delete(data, recursive: true);
    }
}
