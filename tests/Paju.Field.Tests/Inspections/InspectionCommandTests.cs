using System.Text.Json.Nodes;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Inspections;

/// <summary>`paju program`, `paju body`, a managing body's user, and `paju db backup`/`restore` carrying the photos.</summary>
public sealed class InspectionCommandTests(PostgisServer server) : IAsyncLifetime
{
    private readonly TestDatabase _db = new(server);
    private readonly string _data = TempDirectory.Create("paju-inspection-cli-");

    public async ValueTask InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom) VALUES ('playground', 'PG-B0001', '관리주체 시험 놀이터', ST_SetSRID(ST_MakePoint(126.78, 37.76), 4326))
            """);
    }

    private Task<Server.Database.ProcessResult> Paju(params string[] args) =>
        PajuCli.RunAsync([.. args, "--db", _db.ConnectionString, "--data", _data], ct: TestContext.Current.CancellationToken);

    [Fact]
    public async Task Programs_are_listed_shown_and_edited_into_a_new_version()
    {
        var list = await Paju("program", "list");
        var show = await Paju("program", "show", "playground-monthly");
        var definition = JsonNode.Parse(show.StandardOutput)!;
        definition["items"]!.AsArray().Add(new JsonObject { ["id"] = "gate", ["label"] = "출입문 닫힘 장치", ["type"] = "yesno", ["required"] = false });
        var file = Path.Combine(_data, "monthly.json");
        await File.WriteAllTextAsync(file, definition.ToJsonString(), TestContext.Current.CancellationToken);
        var edit = await Paju("program", "edit", "playground-monthly", "--file", file);
        var old = await Paju("program", "show", "playground-monthly", "--version", "1");

        Assert.True(list.Succeeded, list.StandardError);
        Assert.Contains("playground-monthly", list.StandardOutput);
        Assert.Contains("facility-semiannual", list.StandardOutput);
        Assert.Contains("어린이놀이시설 월 안전점검", list.StandardOutput);
        Assert.True(edit.Succeeded, edit.StandardError);
        Assert.Contains("버전 2", edit.StandardOutput);
        Assert.DoesNotContain("출입문 닫힘 장치", old.StandardOutput);
        Assert.Contains("연결상태", old.StandardOutput);
    }

    [Fact]
    public async Task A_managing_body_is_made_given_a_playground_and_a_user()
    {
        var add = await Paju("body", "add", "hanbit-9", "--name", "한빛마을 9단지 관리사무소");
        var assign = await Paju("body", "assign", "hanbit-9", "PG-B0001");
        var user = await Paju("user", "add", "hanbit.office", "--role", "managing_body", "--managing-body", "hanbit-9", "--generate-password");
        var noBody = await Paju("user", "add", "lost.office", "--role", "managing_body", "--generate-password");
        var list = await Paju("body", "list");

        Assert.True(add.Succeeded, add.StandardError);
        Assert.True(assign.Succeeded, assign.StandardError);
        Assert.True(user.Succeeded, user.StandardError);
        Assert.Equal(1, noBody.ExitCode);
        Assert.Contains("--managing-body", noBody.StandardError);
        Assert.Matches(@"hanbit-9\s+시설\s+1\s+사용자\s+1", list.StandardOutput);
        Assert.Equal(1L, await _db.ScalarAsync<long>(
            "SELECT count(*) FROM asset a JOIN managing_body b ON b.id = a.managing_body_id WHERE a.code = 'PG-B0001' AND b.code = 'hanbit-9'"));
    }

    [Fact]
    public async Task A_backup_carries_the_photos_and_a_restore_puts_them_back()
    {
        var photo = Path.Combine(_data, "photos", "sha256", "ab", "cd", "abcd" + new string('0', 60));
        Directory.CreateDirectory(Path.GetDirectoryName(photo)!);
        await File.WriteAllBytesAsync(photo, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], TestContext.Current.CancellationToken);
        var backupFile = Path.Combine(_data, "backups", "paju.dump");

        var backup = await Paju("db", "backup", backupFile);
        var again = await Paju("db", "backup", backupFile);
        File.Delete(photo);
        var restore = await Paju("db", "restore", backupFile);

        Assert.True(backup.Succeeded, backup.StandardError);
        Assert.Contains("새로 복사 1장", backup.StandardOutput);
        Assert.Contains("이미 있음 1장", again.StandardOutput); // incremental: content-addressed files never change
        Assert.Contains("태그 키 파일", backup.StandardOutput);
        Assert.True(restore.Succeeded, restore.StandardError);
        Assert.Contains("점검 사진 1장 되돌림", restore.StandardOutput);
        Assert.Equal([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], await File.ReadAllBytesAsync(photo, TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
