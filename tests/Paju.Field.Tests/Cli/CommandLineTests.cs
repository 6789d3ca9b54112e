using Paju.Field.Server.Database;
using Paju.Field.Tests.Harness;

namespace Paju.Field.Tests.Cli;

/// <summary>The real <c>paju</c> program against this class's database, through --db (so it starts no cluster).</summary>
public sealed class CommandLineTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private readonly string _data = TempDirectory.Create("paju-cli-");

    private Task<ProcessResult> Paju(string[] args, string? stdin = null) =>
        PajuCli.RunAsync([.. args, "--db", db.ConnectionString, "--data", _data], stdin, ct: TestContext.Current.CancellationToken);

    [Fact]
    public async Task Help_lists_every_command_in_Korean()
    {
        var result = await PajuCli.RunAsync(["--help"], ct: TestContext.Current.CancellationToken);
        Assert.True(result.Succeeded, result.Explanation);
        foreach (var command in new[] { "demo", "serve", "db", "seed", "user" })
        {
            Assert.Contains(command, result.StandardOutput);
        }
        Assert.Contains("파주 현장안전", result.StandardOutput);
    }

    [Fact]
    public async Task Db_migrate_on_a_current_schema_says_so_and_starts_no_cluster()
    {
        var result = await Paju(["db", "migrate"]);
        Assert.True(result.Succeeded, result.Explanation);
        Assert.Contains("최신", result.StandardOutput);
        Assert.False(Directory.Exists(Path.Combine(_data, "pg")), "a connection string was given: no private cluster");
    }

    [Fact]
    public async Task User_add_reads_the_password_from_stdin_and_is_audited_as_the_command_line()
    {
        var result = await Paju(["user", "add", "operator.lee", "--role", "operator", "--name", "이운영"], stdin: "operator-pass-1");
        Assert.True(result.Succeeded, result.Explanation);

        Assert.Equal("operator", await db.ScalarAsync<string>("SELECT role FROM app_user WHERE username = 'operator.lee'"));
        Assert.Equal("cli", await db.ScalarAsync<string>("SELECT via FROM audit_log WHERE action = 'user.create' AND entity_id = 'operator.lee'"));
    }

    [Fact]
    public async Task User_add_with_an_unknown_role_fails_with_the_list_of_roles()
    {
        var result = await Paju(["user", "add", "someone", "--role", "superuser"], stdin: "long-enough-password");
        Assert.False(result.Succeeded);
        Assert.Contains("admin", result.StandardError);
    }

    [Fact]
    public async Task A_token_from_the_command_line_is_printed_once()
    {
        await Paju(["user", "add", "script", "--role", "viewer"], stdin: "script-password-1");
        var result = await Paju(["user", "token", "script", "--label", "backup"]);
        Assert.True(result.Succeeded, result.Explanation);
        Assert.StartsWith("pf_", result.StandardOutput.Trim());
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM api_token WHERE label = 'backup'"));
    }

    [Fact]
    public async Task Seed_without_a_choice_explains_what_to_pass()
    {
        var result = await Paju(["seed"]);
        Assert.False(result.Succeeded);
        Assert.Contains("--sample", result.StandardError + result.StandardOutput);
    }
}

/// <summary><c>paju db backup</c> then <c>paju db restore</c> gives back the same registry.</summary>
public sealed class BackupRestoreTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private readonly string _data = TempDirectory.Create("paju-backup-");

    private Task<ProcessResult> Paju(params string[] args) =>
        PajuCli.RunAsync([.. args, "--db", db.ConnectionString, "--data", _data], ct: TestContext.Current.CancellationToken);

    private Task<string> FingerprintAsync() => db.ScalarAsync<string>(
        "SELECT coalesce(md5(string_agg(code || ST_AsText(geom), '|' ORDER BY code)), 'empty') FROM asset");

    [Fact]
    public async Task A_backup_restores_the_registry_exactly()
    {
        Assert.True((await Paju("seed", "--sample")).Succeeded);
        var before = await FingerprintAsync();
        var file = Path.Combine(_data, "backups", "paju.dump");

        var backup = await Paju("db", "backup", file);
        Assert.True(backup.Succeeded, backup.Explanation);
        Assert.True(new FileInfo(file).Length > 10_000);

        Assert.True((await Paju("seed", "--purge-sample")).Succeeded);
        // Only the sample goes: the other test of this class may have added a real row first.
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM asset WHERE is_sample"));
        Assert.NotEqual(before, await FingerprintAsync());

        var restore = await Paju("db", "restore", file);
        Assert.True(restore.Succeeded, restore.Explanation);
        Npgsql.NpgsqlConnection.ClearAllPools();
        Assert.Equal(before, await FingerprintAsync());
        Assert.Equal(719L, await db.ScalarAsync<long>("SELECT count(*) FROM playground"));
    }

    [Fact]
    public async Task Restoring_a_broken_file_fails_and_leaves_the_database_as_it_was()
    {
        await db.ExecuteAsync("""
            INSERT INTO asset (kind, code, name, geom)
            VALUES ('playground', 'PG-KEEP', '그대로', ST_SetSRID(ST_MakePoint(126.78, 37.76), 4326))
            ON CONFLICT DO NOTHING
            """);
        var broken = Path.Combine(_data, "broken.dump");
        await File.WriteAllBytesAsync(broken, new byte[4096], TestContext.Current.CancellationToken);

        var restore = await Paju("db", "restore", broken);

        Assert.False(restore.Succeeded);
        Assert.Contains("pg_restore", restore.StandardError);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM asset WHERE code = 'PG-KEEP'"));
    }
}
