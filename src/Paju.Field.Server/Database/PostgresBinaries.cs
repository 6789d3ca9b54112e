namespace Paju.Field.Server.Database;

/// <summary>
/// Where the PostgreSQL server tools live. Debian installs them per major version under
/// /usr/lib/postgresql/N/bin; PostGIS adds its control file under /usr/share/postgresql/N.
/// The newest version that has PostGIS wins; <c>PAJU_PG_BIN</c> overrides the search.
/// </summary>
public sealed record PostgresBinaries(string BinDirectory, int MajorVersion)
{
    public const string InstallHint =
        "apt-get install -y postgresql-15-postgis-3   (Debian 12; as root, or with sudo)";

    public string Tool(string name) => Path.Combine(BinDirectory, name);

    public static PostgresBinaries? TryFind()
    {
        var overridden = Environment.GetEnvironmentVariable("PAJU_PG_BIN");
        if (!string.IsNullOrEmpty(overridden))
        {
            return File.Exists(Path.Combine(overridden, "pg_ctl"))
                ? new PostgresBinaries(overridden, VersionOf(overridden))
                : null;
        }
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }
        return Directory.EnumerateDirectories(root)
            .Select(dir => (dir, version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
            .Where(x => x.version > 0
                && File.Exists(Path.Combine(x.dir, "bin", "pg_ctl"))
                && File.Exists($"/usr/share/postgresql/{x.version}/extension/postgis.control"))
            .OrderByDescending(x => x.version)
            .Select(x => new PostgresBinaries(Path.Combine(x.dir, "bin"), x.version))
            .FirstOrDefault();
    }

    public static PostgresBinaries Find() => TryFind() ?? throw new PajuSetupException(
        "PostgreSQL with PostGIS is not installed, and no database connection string was given " +
        "(--db or ConnectionStrings__Paju). Install it with: " + InstallHint);

    private static int VersionOf(string binDirectory) =>
        int.TryParse(Path.GetFileName(Path.GetDirectoryName(binDirectory.TrimEnd('/'))), out var v) ? v : 0;
}
